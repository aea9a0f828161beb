// Cursor pages over a creation sequence, newest first: the cursor is the row's
// `seq`, so pages never skip or repeat while rows are added. Hand-written rather
// than plugin-prisma's prismaConnection, which needs the relay plugin and its
// own PageInfo, Node and page-size errors: an out-of-range `first` here is
// BAD_USER_INPUT naming the field, as the contract's clients expect.
import { BadUserInputError } from '../errors.ts';
import { builder } from './builder.ts';

export const PAGE_DEFAULT = 20;
export const PAGE_MAX = 100;
const MAX_SEQ = 2n ** 63n - 1n;

export interface PageInfoShape {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export const PageInfo = builder.objectRef<PageInfoShape>('PageInfo').implement({
  fields: (t) => ({
    hasNextPage: t.exposeBoolean('hasNextPage'),
    hasPreviousPage: t.exposeBoolean('hasPreviousPage'),
    startCursor: t.exposeString('startCursor', { nullable: true }),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

export const pageArgs = {
  first: { description: `Page size: 0 to ${PAGE_MAX}, ${PAGE_DEFAULT} when absent.` },
  after: { description: 'The endCursor of the previous page.' },
} as const;

/** The cursor of the row with this `seq` in the list named `list`. */
export function cursorOf(list: string, seq: bigint | string): string {
  return Buffer.from(`${list}:${seq}`).toString('base64url');
}

/** The `seq` a cursor of the list named `list` stands for (cursors of one list are refused by another). */
export function parseCursor(list: string, cursor: string, field = 'after'): bigint {
  const match = new RegExp(`^${list}:(\\d{1,19})$`).exec(Buffer.from(cursor, 'base64url').toString());
  if (!match || BigInt(match[1]) > MAX_SEQ) throw new BadUserInputError(`${field} is not a cursor of this list.`, field);
  return BigInt(match[1]);
}

/** A request for one page of the list named `list`. */
export function pageRequest(list: string, first: number | null | undefined, after: string | null | undefined) {
  const take = first ?? PAGE_DEFAULT;
  if (!Number.isInteger(take) || take < 0 || take > PAGE_MAX) throw new BadUserInputError(`first must be 0 to ${PAGE_MAX}.`, 'first');
  const before = after == null ? undefined : parseCursor(list, after);
  return {
    /** Rows to read: one more than the page, to tell whether another page follows. */
    take: take + 1,
    /** Rows come from below this `seq` (the cursor's), newest first. */
    before,
    /** Edges and page info from the rows read (newest first). */
    page<Row extends { seq: bigint }>(rows: Row[]) {
      const edges = rows.slice(0, take).map((node) => ({ cursor: cursorOf(list, node.seq), node }));
      const pageInfo: PageInfoShape = {
        hasNextPage: rows.length > take,
        hasPreviousPage: before !== undefined,
        startCursor: edges[0]?.cursor ?? null,
        endCursor: edges.at(-1)?.cursor ?? null,
      };
      return { edges, pageInfo };
    },
  };
}
