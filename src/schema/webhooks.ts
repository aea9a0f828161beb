import { MAX_DESCRIPTION, MAX_GRACE_SECONDS } from '../data/webhooks.ts';
import { BadUserInputError } from '../errors.ts';
import type { WebhookAttempt as WebhookAttemptRow, WebhookEndpoint as WebhookEndpointRow } from '../generated/prisma/client.ts';
import { slugs, text } from '../validation.ts';
import { builder } from './builder.ts';
import { Channel, DeletePayload } from './channels.ts';
import { PAGE_DEFAULT, PAGE_MAX, PageInfo, type PageInfoShape, pageArgs, pageRequest } from './pagination.ts';

const WebhookEventType = builder.enumType('WebhookEventType', {
  values: {
    MESSAGE_SENT: { description: 'One per message: its id, title, body, data, channel slugs and recipient count.' },
    INBOX_ITEM_READ: { description: "A recipient read an inbox item: the message id and the recipient's externalId." },
  },
});

const WebhookAttemptStatus = builder.enumType('WebhookAttemptStatus', {
  values: {
    PENDING: { description: 'It failed, and another try is due (nextAttemptAt).' },
    SUCCEEDED: { description: 'The endpoint answered 2xx.' },
    FAILED: { description: 'It failed, and no try is left (or the endpoint is disabled).' },
  },
});

const WebhookAttempt = builder.prismaObject('WebhookAttempt', {
  description: 'One try of delivering an event to an endpoint.',
  fields: (t) => ({
    id: t.exposeID('id'),
    eventId: t.exposeString('eventId', { description: "The event's id: the webhook-id header, the same on every retry of the event." }),
    eventType: t.expose('eventType', { type: WebhookEventType }),
    status: t.expose('status', { type: WebhookAttemptStatus, description: "The event's delivery after this try." }),
    attempt: t.exposeInt('attempt', { description: '1 for the first try.' }),
    responseStatus: t.exposeInt('responseStatus', {
      nullable: true,
      description: "The endpoint's HTTP status; null when it gave none (timeout, refused connection).",
    }),
    durationMs: t.exposeInt('durationMs', { nullable: true }),
    error: t.exposeString('error', { nullable: true }),
    responseBody: t.exposeString('responseBody', { nullable: true, description: "The endpoint's answer: its first 1,024 bytes at most." }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    nextAttemptAt: t.expose('nextAttemptAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the next try is due; null when none is.',
    }),
  }),
});

const WebhookAttemptEdge = builder.objectRef<{ cursor: string; node: WebhookAttemptRow }>('WebhookAttemptEdge').implement({
  fields: (t) => ({
    cursor: t.exposeString('cursor'),
    node: t.field({ type: WebhookAttempt, resolve: (edge) => edge.node }),
  }),
});

const WebhookAttemptConnection = builder
  .objectRef<{ edges: { cursor: string; node: WebhookAttemptRow }[]; pageInfo: PageInfoShape }>('WebhookAttemptConnection')
  .implement({
    fields: (t) => ({
      edges: t.field({ type: [WebhookAttemptEdge], resolve: (c) => c.edges }),
      pageInfo: t.field({ type: PageInfo, resolve: (c) => c.pageInfo }),
    }),
  });

const WebhookEndpoint = builder.prismaObject('WebhookEndpoint', {
  description: "Where the account's events are POSTed, signed per Standard Webhooks. Its secret is shown once, when created or rolled.",
  fields: (t) => ({
    id: t.exposeID('id'),
    url: t.exposeString('url'),
    description: t.exposeString('description', { nullable: true }),
    channels: t.field({
      type: [Channel],
      description: 'Events of messages sent to these channels only; empty: every message.',
      select: { channels: { select: { channel: true }, orderBy: { channel: { slug: 'asc' } } } },
      resolve: (endpoint) => endpoint.channels.map((c) => c.channel),
    }),
    events: t.expose('events', { type: [WebhookEventType], description: 'The events sent to the endpoint.' }),
    enabled: t.exposeBoolean('enabled', {
      description:
        'False after a member disabled it, after the endpoint answered 410 Gone, or after it failed without a success for 5 days; disabledReason says which.',
    }),
    disabledReason: t.exposeString('disabledReason', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastSuccessAt: t.expose('lastSuccessAt', {
      type: 'DateTime',
      nullable: true,
      description: 'About when the endpoint last answered 2xx (to the minute); null before its first success.',
    }),
    failingSince: t.expose('failingSince', {
      type: 'DateTime',
      nullable: true,
      description: 'The first failure since the last success; null when the last try succeeded. 5 days of failures disable it.',
    }),
    previousSecretExpiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'After a roll: until when deliveries are also signed with the previous secret; null when they are not.',
      select: { previousSecretExpiresAt: true },
      resolve: (endpoint) =>
        endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > new Date() ? endpoint.previousSecretExpiresAt : null,
    }),
    attempts: t.field({
      type: WebhookAttemptConnection,
      description: 'Delivery attempts to this endpoint, newest first.',
      args: { first: t.arg.int(pageArgs.first), after: t.arg.string(pageArgs.after) },
      complexity: ({ first }) => ({ field: 1, multiplier: Math.min(first ?? PAGE_DEFAULT, PAGE_MAX) }),
      resolve: async (endpoint, { first, after }, ctx) => {
        const request = pageRequest('webhook-attempt', first, after);
        return request.page(await ctx.data.webhooks.attempts(endpoint.id, { before: request.before, take: request.take }));
      },
    }),
  }),
});

const CreateWebhookEndpointInput = builder.inputType('CreateWebhookEndpointInput', {
  fields: (t) => ({
    url: t.string({
      required: true,
      description: 'https (http only for private addresses, which need WEBHOOK_ALLOW_PRIVATE_NETWORKS).',
    }),
    description: t.string({ description: `At most ${MAX_DESCRIPTION} characters.` }),
    channels: t.stringList({ description: 'Channel slugs; absent or empty: every message.' }),
    events: t.field({ type: [WebhookEventType], description: 'Absent: [MESSAGE_SENT].' }),
  }),
});

const UpdateWebhookEndpointInput = builder.inputType('UpdateWebhookEndpointInput', {
  description: 'Absent fields stay as they are.',
  fields: (t) => ({
    id: t.id({ required: true }),
    url: t.string(),
    description: t.string({ description: 'null clears it.' }),
    channels: t.stringList({ description: 'Replaces the filter; empty: every message.' }),
    events: t.field({ type: [WebhookEventType] }),
    enabled: t.boolean({ description: 'true enables it again (whatever disabled it); false disables it.' }),
  }),
});

const RollWebhookEndpointSecretInput = builder.inputType('RollWebhookEndpointSecretInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    gracePeriodSeconds: t.int({
      required: true,
      description: '0 to 86,400 seconds during which deliveries are signed with both secrets.',
    }),
  }),
});

const SendWebhookTestEventInput = builder.inputType('SendWebhookTestEventInput', {
  fields: (t) => ({
    id: t.id({ required: true, description: 'The endpoint.' }),
    eventType: t.field({ type: WebhookEventType, required: true }),
  }),
});

const CreateWebhookEndpointPayload = builder
  .objectRef<{ endpoint: WebhookEndpointRow; secret: string }>('CreateWebhookEndpointPayload')
  .implement({
    fields: (t) => ({
      endpoint: t.field({ type: WebhookEndpoint, resolve: (payload) => payload.endpoint }),
      secret: t.exposeString('secret', { description: 'The signing secret (whsec_…), returned here once.' }),
    }),
  });

const WebhookTestEventPayload = builder.objectRef<{ eventId: string; endpointId: string }>('WebhookTestEventPayload').implement({
  description: "A test event, queued: its attempts appear in the endpoint's log under this eventId.",
  fields: (t) => ({
    eventId: t.exposeString('eventId', { description: 'The webhook-id of its tries.' }),
    endpointId: t.exposeID('endpointId'),
  }),
});

type EventTypeInput = 'MESSAGE_SENT' | 'INBOX_ITEM_READ';

function parseEvents(events: readonly EventTypeInput[]): EventTypeInput[] {
  if (events.length === 0) throw new BadUserInputError('events must name at least one event.', 'events');
  return [...new Set(events)];
}

function parseDescription(value: string | null | undefined): string | null {
  if (value == null) return null;
  return text(value, 'description', MAX_DESCRIPTION, { min: 0 }) || null;
}

builder.queryFields((t) => ({
  webhookEndpoints: t.prismaField({
    type: ['WebhookEndpoint'],
    description: "Members only: the account's webhook endpoints, newest first.",
    access: 'member',
    resolve: (query, _root, _args, ctx) => ctx.data.webhooks.list(query),
  }),
  webhookEndpoint: t.prismaField({
    type: 'WebhookEndpoint',
    nullable: true,
    description: 'Members only: one webhook endpoint of the account (with its attempt log), or null when the account has no such endpoint.',
    access: 'member',
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, { id }, ctx) => ctx.data.webhooks.find(id, query),
  }),
}));

builder.mutationFields((t) => ({
  createWebhookEndpoint: t.field({
    type: CreateWebhookEndpointPayload,
    description: 'Members only. The signing secret is returned here once.',
    access: 'member',
    args: { input: t.arg({ type: CreateWebhookEndpointInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.data.webhooks.create(
        {
          url: input.url,
          description: parseDescription(input.description),
          channels: slugs(input.channels ?? [], 'channels'),
          events: parseEvents(input.events ?? ['MESSAGE_SENT']),
        },
        {},
      ),
  }),
  updateWebhookEndpoint: t.prismaField({
    type: 'WebhookEndpoint',
    description: "Members only: edits an endpoint's url, description, channels and events, or enables or disables it.",
    access: 'member',
    args: { input: t.arg({ type: UpdateWebhookEndpointInput, required: true }) },
    resolve: (query, _root, { input }, ctx) =>
      ctx.data.webhooks.update(
        input.id,
        {
          url: input.url ?? undefined,
          description: input.description === undefined ? undefined : parseDescription(input.description),
          channels: input.channels == null ? undefined : slugs(input.channels, 'channels'),
          events: input.events == null ? undefined : parseEvents(input.events),
          enabled: input.enabled ?? undefined,
        },
        query,
      ),
  }),
  deleteWebhookEndpoint: t.field({
    type: DeletePayload,
    description: 'Members only: deletes an endpoint, with its attempt log; its events still queued are dropped.',
    access: 'member',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.data.webhooks.delete(id),
  }),
  rollWebhookEndpointSecret: t.field({
    type: CreateWebhookEndpointPayload,
    description: 'A new signing secret; during the grace period deliveries carry both signatures.',
    access: 'member',
    args: { input: t.arg({ type: RollWebhookEndpointSecretInput, required: true }) },
    resolve: (_root, { input }, ctx) => {
      const grace = input.gracePeriodSeconds;
      if (!Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_SECONDS) {
        throw new BadUserInputError(`gracePeriodSeconds must be 0 to ${MAX_GRACE_SECONDS}.`, 'gracePeriodSeconds');
      }
      return ctx.data.webhooks.roll(input.id, grace, {});
    },
  }),
  sendWebhookTestEvent: t.field({
    type: WebhookTestEventPayload,
    description:
      "Members only: queues an example event of this type to this one endpoint, delivered (signed, retried) as real ones are; its tries appear in the endpoint's attempts.",
    access: 'member',
    args: { input: t.arg({ type: SendWebhookTestEventInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const { eventId } = await ctx.data.webhooks.sendTest(input.id, input.eventType);
      return { eventId, endpointId: input.id };
    },
  }),
}));
