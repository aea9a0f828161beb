import { parseAllowedIps } from '../auth/ip-allowlist.ts';
import { keyStatus, previousSecretActiveUntil } from '../auth/key-status.ts';
import { MAX_RATE_LIMIT_PER_MINUTE } from '../config.ts';
import type { Context } from '../context.ts';
import type { ScopeData } from '../data/api-keys.ts';
import { USAGE_MAX_DAYS, type UsageDay } from '../data/usage.ts';
import { BadUserInputError } from '../errors.ts';
import type { ApiKey as ApiKeyRow } from '../generated/prisma/client.ts';
import { LIMITS, slugs, text } from '../validation.ts';
import { builder } from './builder.ts';
import { Channel } from './channels.ts';

const ScopeKind = builder.enumType('ScopeKind', {
  description: 'Which recipients an API key may reach.',
  values: {
    ALL: { description: 'All Recipients: the key can target every recipient of the account.' },
    CHANNELS: { description: 'Channel Scoped: the key can target only the channels assigned to it.' },
  },
});

const ApiKeyStatus = builder.enumType('ApiKeyStatus', {
  description: 'Whether a key authenticates requests.',
  values: {
    ACTIVE: { description: 'It authenticates requests.' },
    EXPIRED: { description: 'Past its expiresAt: refused exactly like an unknown key.' },
    REVOKED: { description: 'Revoked by a member: refused exactly like an unknown key, for good.' },
  },
});

interface ScopeShape {
  kind: 'ALL' | 'CHANNELS';
  channels: { id: string; slug: string; name: string; accountId: string; createdAt: Date }[];
}

const Scope = builder.objectRef<ScopeShape>('Scope').implement({
  description: 'Which recipients an API key may reach.',
  fields: (t) => ({
    kind: t.field({ type: ScopeKind, resolve: (scope) => scope.kind }),
    channels: t.field({
      type: [Channel],
      description: 'The channels assigned to the key; empty when kind is ALL.',
      resolve: (scope) => scope.channels,
    }),
  }),
});

const ApiKeyUsageDay = builder.objectRef<UsageDay>('ApiKeyUsageDay').implement({
  description: 'What one key did on one day (UTC).',
  fields: (t) => ({
    day: t.expose('day', { type: 'Date' }),
    requests: t.exposeInt('requests', { description: 'Requests the key authenticated, refused ones included.' }),
    messages: t.exposeInt('messages', { description: 'Messages sent.' }),
    recipients: t.exposeInt('recipients', { description: 'Recipients reached by those messages.' }),
    refused: t.exposeInt('refused', { description: 'Requests refused after authentication (scope, rate limit, address, bad input).' }),
  }),
});

const lifecycle = { revokedAt: true, expiresAt: true, previousSecretExpiresAt: true } as const;

export const ApiKey = builder.prismaObject('ApiKey', {
  description: "A secret token for the account's backend. Lists show its prefix, never the secret.",
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    scope: t.field({
      type: Scope,
      select: { scopeKind: true, channels: { select: { channel: true }, orderBy: { channel: { slug: 'asc' } } } },
      resolve: (key) => ({ kind: key.scopeKind, channels: key.channels.map((c) => c.channel) }),
    }),
    prefix: t.exposeString('prefix', { description: 'The first characters of the secret, safe to show; never the secret itself.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the key last authenticated a request, accurate to a minute; null until its first use.',
    }),
    status: t.field({
      type: ApiKeyStatus,
      select: lifecycle,
      resolve: (key) => keyStatus(key, new Date()),
    }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true, description: 'When the key stops working; null: never.' }),
    revokedAt: t.expose('revokedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When a member revoked the key; null while it is not revoked.',
    }),
    previousSecretExpiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'After rollApiKey: until when the previous secret still works; null when it no longer does.',
      select: lifecycle,
      resolve: (key) => previousSecretActiveUntil(key, new Date()),
    }),
    rateLimitPerMinute: t.exposeInt('rateLimitPerMinute', {
      nullable: true,
      description: "Requests a minute this key may make; null: the server's default for keys.",
    }),
    allowedIps: t.exposeStringList('allowedIps', {
      description: 'CIDR blocks (IPv4 or IPv6) the key may be used from; empty: from anywhere.',
    }),
    createdBy: t.relation('createdBy', { nullable: true, description: 'The member who created the key.' }),
    usage: t.field({
      type: [ApiKeyUsageDay],
      description: `Per-day usage in UTC, newest day first, for the last \`days\` days (1 to ${USAGE_MAX_DAYS}) that had any use.`,
      args: { days: t.arg.int({ description: `1 to ${USAGE_MAX_DAYS}; 30 when absent.` }) },
      // Cost: a day's selection once per day asked for (an out-of-range `days` is refused below).
      complexity: ({ days }) => ({ field: 1, multiplier: Math.min(days ?? 30, USAGE_MAX_DAYS) }),
      resolve: (key, { days }, ctx) => {
        const span = days ?? 30;
        if (!Number.isInteger(span) || span < 1 || span > USAGE_MAX_DAYS) {
          throw new BadUserInputError(`days must be 1 to ${USAGE_MAX_DAYS}.`, 'days');
        }
        return ctx.data.keys.usage(key.id, span);
      },
    }),
  }),
});

const ScopeInput = builder.inputType('ScopeInput', {
  fields: (t) => ({
    kind: t.field({ type: ScopeKind, required: true }),
    channels: t.stringList({ description: 'Channel slugs: required and non-empty for CHANNELS, rejected for ALL.' }),
  }),
});

const CreateApiKeyInput = builder.inputType('CreateApiKeyInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: '1 to 100 characters.' }),
    scope: t.field({ type: ScopeInput, required: true }),
    expiresAt: t.field({ type: 'DateTime', description: 'In the future; absent: the key never expires.' }),
    rateLimitPerMinute: t.int({ description: "1 to 100,000; absent: the server's default for keys." }),
    allowedIps: t.stringList({ description: 'CIDR blocks the key may be used from (at most 100); absent or empty: anywhere.' }),
  }),
});

const UpdateApiKeyInput = builder.inputType('UpdateApiKeyInput', {
  description: 'Absent fields stay as they are; an explicit null clears expiresAt and rateLimitPerMinute.',
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string({ description: '1 to 100 characters. Absent: unchanged.' }),
    scope: t.field({ type: ScopeInput, description: 'The new scope, replacing the old one. Absent: unchanged.' }),
    expiresAt: t.field({ type: 'DateTime', description: 'In the future; null: never expires; absent: unchanged.' }),
    rateLimitPerMinute: t.int({ description: "1 to 100,000; null: the server's default; absent: unchanged." }),
    allowedIps: t.stringList({ description: 'Replaces the list (at most 100 blocks; empty: anywhere); absent: unchanged.' }),
  }),
});

const MAX_GRACE_SECONDS = 86_400;

const RollApiKeyInput = builder.inputType('RollApiKeyInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    gracePeriodSeconds: t.int({
      required: true,
      description: 'How long the previous secret keeps working: 0 (it stops at once) to 86,400 seconds (24 hours).',
    }),
  }),
});

const secretPayload = (name: string, description: string, apiKeyDescription?: string) =>
  builder.objectRef<{ apiKey: ApiKeyRow; secret: string }>(name).implement({
    description,
    fields: (t) => ({
      apiKey: t.field({ type: ApiKey, description: apiKeyDescription, resolve: (payload) => payload.apiKey }),
      secret: t.exposeString('secret', { description: 'The secret. It is returned here once and can never be read again.' }),
    }),
  });

const CreateApiKeyPayload = secretPayload('CreateApiKeyPayload', 'The new key, and its secret: shown this once.');
const RollApiKeyPayload = secretPayload(
  'RollApiKeyPayload',
  'The key with its new secret: shown this once.',
  'The same key (same id, name, scope and settings) with its new secret’s prefix.',
);

/** The scope as stored: ALL with no channels, or CHANNELS with a non-empty set of the account's channels. */
async function parseScope(ctx: Context, scope: { kind: 'ALL' | 'CHANNELS'; channels?: readonly string[] | null }): Promise<ScopeData> {
  if (scope.kind === 'ALL') {
    if (scope.channels != null) throw new BadUserInputError('scope.channels must be left out when scope.kind is ALL.', 'scope.channels');
    return { kind: 'ALL' };
  }
  if (!scope.channels || scope.channels.length === 0) {
    throw new BadUserInputError('scope.channels must name at least one channel when scope.kind is CHANNELS.', 'scope.channels');
  }
  return { kind: 'CHANNELS', channels: await ctx.data.channels.resolve(slugs(scope.channels, 'scope.channels'), 'scope.channels') };
}

const parseKeyName = (name: string) => text(name, 'name', LIMITS.apiKeyName);

function parseRateLimit(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_RATE_LIMIT_PER_MINUTE) {
    throw new BadUserInputError(
      `rateLimitPerMinute must be 1 to ${MAX_RATE_LIMIT_PER_MINUTE.toLocaleString('en-US')}.`,
      'rateLimitPerMinute',
    );
  }
  return value;
}

function parseExpiry(value: Date, now: Date): Date {
  if (value.getTime() <= now.getTime()) throw new BadUserInputError('expiresAt must be in the future.', 'expiresAt');
  return value;
}

builder.queryFields((t) => ({
  apiKeys: t.prismaField({
    type: ['ApiKey'],
    description: 'Dashboard: every API key of the account, newest first.',
    access: 'member',
    resolve: (query, _root, _args, ctx) => ctx.data.keys.list(query),
  }),
  apiKey: t.prismaField({
    type: 'ApiKey',
    nullable: true,
    description: 'One API key of the account, or null when the account has no key with this id.',
    access: 'member',
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, { id }, ctx) => ctx.data.keys.find(id, query),
  }),
}));

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreateApiKeyPayload,
    description: 'Creates an API key. Its secret is in this payload and nowhere else, ever.',
    access: 'member',
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const name = parseKeyName(input.name);
      const expiresAt = input.expiresAt == null ? null : parseExpiry(input.expiresAt, new Date());
      const rateLimitPerMinute = input.rateLimitPerMinute == null ? null : parseRateLimit(input.rateLimitPerMinute);
      const allowedIps = parseAllowedIps(input.allowedIps ?? []);
      const scope = await parseScope(ctx, input.scope);
      return ctx.data.keys.create({ name, scope, expiresAt, rateLimitPerMinute, allowedIps });
    },
  }),
  updateApiKey: t.prismaField({
    type: 'ApiKey',
    description: "Edits a key's name, scope, expiry, rate limit and IP allowlist. The next request made with the key sees the change.",
    access: 'member',
    args: { input: t.arg({ type: UpdateApiKeyInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const name = input.name == null ? undefined : parseKeyName(input.name);
      const expiresAt =
        input.expiresAt === undefined ? undefined : input.expiresAt === null ? null : parseExpiry(input.expiresAt, new Date());
      const rateLimitPerMinute =
        input.rateLimitPerMinute === undefined
          ? undefined
          : input.rateLimitPerMinute === null
            ? null
            : parseRateLimit(input.rateLimitPerMinute);
      const allowedIps = input.allowedIps == null ? undefined : parseAllowedIps(input.allowedIps);
      const scope = input.scope == null ? undefined : await parseScope(ctx, input.scope);
      return ctx.data.keys.update(input.id, { name, scope, expiresAt, rateLimitPerMinute, allowedIps }, query);
    },
  }),
  revokeApiKey: t.prismaField({
    type: 'ApiKey',
    description: "Revokes a key for good: its next request, on any instance, is refused like an unknown key's.",
    access: 'member',
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, { id }, ctx) => ctx.data.keys.revoke(id, query),
  }),
  rollApiKey: t.field({
    type: RollApiKeyPayload,
    description: 'A new secret for the same key; the previous one keeps working for the grace period.',
    access: 'member',
    args: { input: t.arg({ type: RollApiKeyInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const grace = input.gracePeriodSeconds;
      if (!Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_SECONDS) {
        throw new BadUserInputError(`gracePeriodSeconds must be 0 to ${MAX_GRACE_SECONDS}.`, 'gracePeriodSeconds');
      }
      return ctx.data.keys.roll(input.id, grace);
    },
  }),
}));
