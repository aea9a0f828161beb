import { queryFromInfo } from '@pothos/plugin-prisma';
import type { Prisma } from '../generated/prisma/client.ts';
import { builder } from './builder.ts';
import { PAGE_DEFAULT, PAGE_MAX, PageInfo, type PageInfoShape, pageArgs, pageRequest } from './pagination.ts';

const AuditAction = builder.enumType('AuditAction', {
  values: [
    'API_KEY_CREATED',
    'API_KEY_UPDATED',
    'API_KEY_ROLLED',
    'API_KEY_REVOKED',
    'CHANNEL_CREATED',
    'CHANNEL_UPDATED',
    'CHANNEL_DELETED',
    'RECIPIENT_CREATED',
    'RECIPIENT_UPDATED',
    'RECIPIENT_DELETED',
    'RECIPIENTS_IMPORTED',
    'WEBHOOK_ENDPOINT_CREATED',
    'WEBHOOK_ENDPOINT_UPDATED',
    'WEBHOOK_ENDPOINT_DELETED',
    'WEBHOOK_SECRET_ROLLED',
  ] as const,
});

const AuditEvent = builder.prismaObject('AuditEvent', {
  description: 'What changed in the account, by whom: key operations, and every change of channels and recipients.',
  fields: (t) => ({
    id: t.exposeID('id'),
    at: t.expose('at', { type: 'DateTime' }),
    action: t.expose('action', { type: AuditAction }),
    member: t.relation('member', { nullable: true, description: 'The member who acted; null when an API key acted.' }),
    apiKey: t.relation('apiKey', { nullable: true, description: 'The key the event is about (or that acted).' }),
    changes: t.field({
      type: 'JSONObject',
      nullable: true,
      description:
        'What changed: { field: { before, after } } (before is null for a creation, after for a deletion; an update names its channel by slug, its recipient by externalId, its webhook endpoint by id and url); for RECIPIENTS_IMPORTED, { created, updated }; never a secret.',
      select: { changes: true },
      resolve: (event) => event.changes as Record<string, unknown> | null,
    }),
    requestId: t.exposeString('requestId', { nullable: true, description: 'The x-request-id of the request that made the change.' }),
  }),
});

type AuditEventRow = Prisma.AuditEventGetPayload<object>;

const AuditEventEdge = builder.objectRef<{ cursor: string; node: AuditEventRow }>('AuditEventEdge').implement({
  fields: (t) => ({
    cursor: t.exposeString('cursor'),
    node: t.field({ type: AuditEvent, resolve: (edge) => edge.node }),
  }),
});

const AuditEventConnection = builder
  .objectRef<{ edges: { cursor: string; node: AuditEventRow }[]; pageInfo: PageInfoShape }>('AuditEventConnection')
  .implement({
    fields: (t) => ({
      edges: t.field({ type: [AuditEventEdge], resolve: (c) => c.edges }),
      pageInfo: t.field({ type: PageInfo, resolve: (c) => c.pageInfo }),
    }),
  });

builder.queryField('auditEvents', (t) =>
  t.field({
    type: AuditEventConnection,
    description: "Members only: the account's audit trail, newest first; `apiKeyId` narrows it to one key.",
    access: 'member',
    args: {
      first: t.arg.int(pageArgs.first),
      after: t.arg.string(pageArgs.after),
      apiKeyId: t.arg.id({ description: 'Only the events about this key.' }),
    },
    // Cost: the page's selection once per event asked for (an out-of-range `first` is refused by pageRequest).
    complexity: ({ first }) => ({ field: 1, multiplier: Math.min(first ?? PAGE_DEFAULT, PAGE_MAX) }),
    resolve: async (_root, { first, after, apiKeyId }, ctx, info) => {
      const request = pageRequest('audit', first, after);
      const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node'], typeName: 'AuditEvent' });
      const rows = await ctx.data.audit.list({ before: request.before, take: request.take, apiKeyId }, query);
      return request.page(rows);
    },
  }),
);
