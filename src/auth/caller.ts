import type { KeyScope } from '../scoping/rules.ts';

/** Who a request acts as, once authenticated. */
export interface ApiKeyCaller {
  kind: 'key';
  accountId: string;
  key: { id: string; name: string; scope: KeyScope };
}

export interface MemberCaller {
  kind: 'member';
  accountId: string;
  memberId: string;
}

export type Caller = { kind: 'anonymous' } | MemberCaller | ApiKeyCaller;
