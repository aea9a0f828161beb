import type { KeyScope } from '../scoping/rules.ts';
import type { AllowList } from './ip-allowlist.ts';

/** Who a request acts as, once authenticated. */
export interface ApiKeyCaller {
  kind: 'key';
  accountId: string;
  key: {
    id: string;
    name: string;
    scope: KeyScope;
    /** The channels of a channel-scoped key, with their ids (none for ALL). */
    channels: readonly { id: string; slug: string }[];
    /** Null: the server's default. */
    rateLimitPerMinute: number | null;
    allowList: AllowList;
  };
}

export interface MemberCaller {
  kind: 'member';
  accountId: string;
  memberId: string;
}

/** One recipient reading its own inbox, with a token Herald signed (src/auth/recipient-tokens.ts). */
export interface RecipientCaller {
  kind: 'recipient';
  accountId: string;
  recipientId: string;
  externalId: string;
  /** When the token stops working: a stream opened with it ends then. */
  expiresAt: Date;
}

export type Caller = { kind: 'anonymous' } | MemberCaller | ApiKeyCaller | RecipientCaller;

/** A member or an API key: who acts for the account (recipients only read their inbox). */
export type AccountCaller = MemberCaller | ApiKeyCaller;
