import { generateSecret } from '../auth/api-keys.ts';
import type { Context } from '../context.ts';
import { BadUserInputError, NotFoundError } from '../errors.ts';
import type { ApiKey as ApiKeyRow } from '../generated/prisma/client.ts';
import { memberCaller } from '../scoping/middleware.ts';
import { idFilter, LIMITS, slugs, text } from '../validation.ts';
import { builder } from './builder.ts';
import { resolveChannels } from './channel-refs.ts';
import { Channel } from './channels.ts';

const ScopeKind = builder.enumType('ScopeKind', {
  description: 'Which recipients an API key may reach.',
  values: {
    ALL: { description: 'All Recipients: the key can target every recipient of the account.' },
    CHANNELS: { description: 'Channel Scoped: the key can target only the channels assigned to it.' },
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

const ApiKey = builder.prismaObject('ApiKey', {
  description: "A secret token for the account's backend. Lists show its prefix, never the secret.",
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    scope: t.field({
      type: Scope,
      select: { scopeKind: true, channels: { orderBy: { slug: 'asc' } } },
      resolve: (key) => ({ kind: key.scopeKind, channels: key.channels }),
    }),
    prefix: t.exposeString('prefix', { description: 'The first characters of the secret, safe to show; never the secret itself.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the key last authenticated a request, accurate to a minute; null until its first use.',
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
  }),
});

const UpdateApiKeyInput = builder.inputType('UpdateApiKeyInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string({ description: '1 to 100 characters. Absent: unchanged.' }),
    scope: t.field({ type: ScopeInput, description: 'The new scope, replacing the old one. Absent: unchanged.' }),
  }),
});

const CreateApiKeyPayload = builder.objectRef<{ apiKey: ApiKeyRow; secret: string }>('CreateApiKeyPayload').implement({
  description: 'The new key, and its secret: shown this once.',
  fields: (t) => ({
    apiKey: t.field({ type: ApiKey, resolve: (payload) => payload.apiKey }),
    secret: t.exposeString('secret', { description: 'The secret. It is returned here once and can never be read again.' }),
  }),
});

/** The scope as stored: ALL with no channels, or CHANNELS with a non-empty set of the account's channels. */
async function scopeData(ctx: Context, scope: { kind: 'ALL' | 'CHANNELS'; channels?: readonly string[] | null }) {
  if (scope.kind === 'ALL') {
    if (scope.channels != null) throw new BadUserInputError('scope.channels must be left out when scope.kind is ALL.', 'scope.channels');
    return { scopeKind: 'ALL' as const, channelIds: [] };
  }
  if (!scope.channels || scope.channels.length === 0) {
    throw new BadUserInputError('scope.channels must name at least one channel when scope.kind is CHANNELS.', 'scope.channels');
  }
  const channels = await resolveChannels(ctx, slugs(scope.channels, 'scope.channels'), 'scope.channels');
  return { scopeKind: 'CHANNELS' as const, channelIds: channels.map(({ id }) => ({ id })) };
}

const keyName = (name: string) => text(name, 'name', LIMITS.apiKeyName);

builder.queryFields((t) => ({
  apiKeys: t.prismaField({
    type: ['ApiKey'],
    description: 'Dashboard: every API key of the account, newest first.',
    access: 'member',
    resolve: (query, _root, _args, ctx) =>
      ctx.db.apiKey.findMany({ ...query, where: { accountId: memberCaller(ctx).accountId }, orderBy: { seq: 'desc' } }),
  }),
  apiKey: t.prismaField({
    type: 'ApiKey',
    nullable: true,
    description: 'One API key of the account, or null when the account has no key with this id.',
    access: 'member',
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, { id }, ctx) =>
      ctx.db.apiKey.findFirst({ ...query, where: { ...idFilter(id), accountId: memberCaller(ctx).accountId } }),
  }),
}));

builder.mutationFields((t) => ({
  createApiKey: t.field({
    type: CreateApiKeyPayload,
    description: 'Creates an API key. Its secret is in this payload and nowhere else, ever.',
    access: 'member',
    args: { input: t.arg({ type: CreateApiKeyInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const { accountId } = memberCaller(ctx);
      const name = keyName(input.name);
      const { scopeKind, channelIds } = await scopeData(ctx, input.scope);
      const { secret, hash, prefix } = generateSecret();
      const apiKey = await ctx.db.apiKey.create({
        data: { accountId, name, scopeKind, secretHash: hash, prefix, channels: { connect: channelIds } },
      });
      return { apiKey, secret };
    },
  }),
  updateApiKey: t.prismaField({
    type: 'ApiKey',
    description: "Edits a key's name and scope. The next request made with the key sees the change.",
    access: 'member',
    args: { input: t.arg({ type: UpdateApiKeyInput, required: true }) },
    resolve: async (query, _root, { input }, ctx) => {
      const { accountId } = memberCaller(ctx);
      const name = input.name == null ? undefined : keyName(input.name);
      const scope = input.scope == null ? undefined : await scopeData(ctx, input.scope);
      const updated = await ctx.db.$transaction(async (tx) => {
        const found = await tx.apiKey.findFirst({ where: { ...idFilter(input.id), accountId }, select: { id: true } });
        if (!found) throw new NotFoundError('API key', input.id);
        return tx.apiKey.update({
          ...query,
          where: { id: found.id },
          data: { name, scopeKind: scope?.scopeKind, channels: scope ? { set: scope.channelIds } : undefined },
        });
      });
      ctx.keyChanged(updated.id);
      return updated;
    },
  }),
}));
