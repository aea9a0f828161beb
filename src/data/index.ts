// The one way from resolvers to data: `ctx.data.<domain>`, a service per
// domain built for the request, with the tenant client (src/db/tenant.ts) and
// the caller. Services are made when a resolver first asks for them.
import type { Caller } from '../auth/caller.ts';
import type { RecipientTokens } from '../auth/recipient-tokens.ts';
import type { WorkScope } from '../db/deadline.ts';
import type { PrismaClient } from '../db/index.ts';
import type { Sql } from '../db/sql.ts';
import type { Bus } from '../realtime/bus.ts';
import type { InboxHub } from '../realtime/hub.ts';
import type { AddressPolicy } from '../webhooks/address-policy.ts';
import { ApiKeyService, type ApiKeyStore } from './api-keys.ts';
import { type Actor, AuditService } from './audit.ts';
import { ChannelService } from './channels.ts';
import { InboxService } from './inbox.ts';
import { MessageService } from './messages.ts';
import { RecipientService } from './recipients.ts';
import type { UsageCounter } from './usage.ts';
import { WebhookService } from './webhooks.ts';

/** What every request's services share: built once per server. */
export interface Shared {
  /** The hot path's statements (src/db/sql.ts). */
  sql: Sql;
  /** Every write of an API key goes through it. */
  keys: ApiKeyStore;
  /** Key usage this instance counted and has not written yet: usage reads add it. */
  usage: UsageCounter;
  /** The fleet's events: sends, inbox changes, deleted recipients. */
  bus: Bus;
  /** This instance's open inbox streams. */
  hub: InboxHub;
  tokens: RecipientTokens;
  /** Where webhook endpoints may point (WEBHOOK_ALLOW_PRIVATE_NETWORKS, production). */
  webhookPolicy: AddressPolicy;
  /** Recipients reached by send, for /metrics. */
  onSent(recipients: number): void;
}

export interface RequestScope {
  /** Confined to the caller's account, bound to the request's scope (src/db/request-client.ts). */
  db: PrismaClient;
  /** The hot path's statements, bound to the request's scope (src/db/sql.ts). */
  sql: Sql;
  /** What bounds the request's database work (src/db/deadline.ts); none for a WebSocket's subscriptions. */
  work: WorkScope | undefined;
  caller: Caller;
  /** The x-request-id of the request, for the audit trail. */
  requestId: string;
  shared: Shared;
}

/** The caller's account, for services of fields that admit authenticated callers only. */
export function accountOf(scope: Pick<RequestScope, 'caller'>): string {
  if (scope.caller.kind === 'anonymous') throw new Error('the field admits authenticated callers only');
  return scope.caller.accountId;
}

/** Who acts in this request, for the audit trail. */
export function actorOf(scope: Pick<RequestScope, 'caller' | 'requestId'>): Actor {
  const { caller } = scope;
  if (caller.kind !== 'member' && caller.kind !== 'key') throw new Error('actorOf: only members and keys change the account');
  return {
    accountId: caller.accountId,
    memberId: caller.kind === 'member' ? caller.memberId : null,
    apiKeyId: caller.kind === 'key' ? caller.key.id : null,
    requestId: scope.requestId,
  };
}

export class DataServices {
  #keys?: ApiKeyService;
  #channels?: ChannelService;
  #recipients?: RecipientService;
  #messages?: MessageService;
  #audit?: AuditService;
  #inbox?: InboxService;
  #webhooks?: WebhookService;

  constructor(private readonly scope: RequestScope) {}

  get keys(): ApiKeyService {
    this.#keys ??= new ApiKeyService(this.scope);
    return this.#keys;
  }

  get channels(): ChannelService {
    this.#channels ??= new ChannelService(this.scope);
    return this.#channels;
  }

  get recipients(): RecipientService {
    this.#recipients ??= new RecipientService(this.scope, this.channels);
    return this.#recipients;
  }

  get messages(): MessageService {
    this.#messages ??= new MessageService(this.scope, this.channels);
    return this.#messages;
  }

  get audit(): AuditService {
    this.#audit ??= new AuditService(this.scope);
    return this.#audit;
  }

  get inbox(): InboxService {
    this.#inbox ??= new InboxService(this.scope);
    return this.#inbox;
  }

  get webhooks(): WebhookService {
    this.#webhooks ??= new WebhookService(this.scope, this.channels);
    return this.#webhooks;
  }
}
