// The audit trail: an event is written in the transaction of the change it
// records, so there is no change without its event and no event without its change.

import type { PrismaClient } from '../db/index.ts';
import type { AuditAction, AuditEvent, Prisma } from '../generated/prisma/client.ts';
import { idFilter } from '../validation.ts';
import { accountOf, type RequestScope } from './index.ts';

/** Who acts: a member, or an API key (creating recipients); and the request that did it. */
export interface Actor {
  accountId: string;
  memberId: string | null;
  apiKeyId: string | null;
  requestId: string;
}

/** { field: { before, after } } of the fields that changed; never a secret or a hash. */
export type AuditChanges = Record<string, { before: unknown; after: unknown }>;

/** What a change of many rows at once did, in counts (an import: { created, updated }). */
export type AuditCounts = Record<string, number>;

export interface AuditEntry {
  action: AuditAction;
  /** The key the event is about; the acting key when absent. */
  apiKeyId?: string;
  changes: AuditChanges | AuditCounts;
}

type Transaction = Prisma.TransactionClient;

/** The fields whose values differ, compared as JSON (dates as ISO strings). */
export function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): AuditChanges {
  const changes: AuditChanges = {};
  for (const field of Object.keys(after)) {
    const [was, is] = [before[field] ?? null, after[field] ?? null];
    if (JSON.stringify(was) !== JSON.stringify(is)) changes[field] = { before: was, after: is };
  }
  return changes;
}

/** The fields a creation set (an empty list sets nothing): each with before null. */
export function createdFields(after: Record<string, unknown>): AuditChanges {
  return changedFields({}, Object.fromEntries(Object.entries(after).filter(([, value]) => !(Array.isArray(value) && value.length === 0))));
}

/** Runs `write` and writes the event it returns, in one transaction. */
export async function audited<T>(
  db: PrismaClient,
  actor: Actor,
  write: (tx: Transaction) => Promise<{ result: T; event: AuditEntry }>,
): Promise<T> {
  return db.$transaction(async (tx) => {
    const { result, event } = await write(tx);
    await tx.auditEvent.create({
      data: {
        accountId: actor.accountId,
        memberId: actor.memberId,
        apiKeyId: event.apiKeyId ?? actor.apiKeyId,
        action: event.action,
        changes: JSON.parse(JSON.stringify(event.changes)),
        requestId: actor.requestId,
      },
    });
    return result;
  });
}

type AuditSelection = { select?: Prisma.AuditEventSelect; include?: Prisma.AuditEventInclude } | object;

/** The account's trail, newest first (members read it). */
export class AuditService {
  constructor(private readonly scope: RequestScope) {}

  list(
    { before, take, apiKeyId }: { before?: bigint; take: number; apiKeyId?: string | null },
    selection: AuditSelection,
  ): Promise<AuditEvent[]> {
    return this.scope.db.auditEvent.findMany({
      ...selection,
      where: {
        accountId: accountOf(this.scope),
        ...(apiKeyId == null ? {} : { apiKeyId: idFilter(apiKeyId).id }),
        ...(before === undefined ? {} : { seq: { lt: before } }),
      },
      orderBy: { seq: 'desc' },
      take,
    }) as Promise<AuditEvent[]>;
  }
}
