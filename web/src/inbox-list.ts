// The preview's list under a filter, kept current by the stream's events: an
// item that changes state stays, goes or comes as the filter says, as Herald's
// own `inbox(filter)` would list it.
import type { InboxFilter, PreviewInboxItemFragment } from './generated/graphql.ts';

export type Item = PreviewInboxItemFragment;

export interface InboxList {
  items: Item[];
  /** Items under the filter, not only the loaded ones. */
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
}

/** Whether Herald lists the item under the filter. */
export function listedUnder(filter: InboxFilter, item: Item): boolean {
  switch (filter) {
    case 'ALL':
      return !item.archivedAt;
    case 'UNREAD':
      return !item.archivedAt && !item.readAt;
    case 'UNSEEN':
      return !item.archivedAt && !item.seenAt;
    case 'ARCHIVED':
      return !!item.archivedAt;
  }
}

/** The list with this item's current state: replaced, removed or inserted in its place (newest first). */
export function withItem(list: InboxList, filter: InboxFilter, item: Item): InboxList {
  const at = list.items.findIndex((i) => i.id === item.id);
  const listed = listedUnder(filter, item);
  if (at >= 0) {
    const items = [...list.items];
    if (listed) {
      items[at] = item;
      return { ...list, items };
    }
    items.splice(at, 1);
    return { ...list, items, totalCount: Math.max(0, list.totalCount - 1) };
  }
  if (!listed) return list;
  const place = list.items.findIndex((i) => i.createdAt < item.createdAt);
  // Older than every loaded item while more are to load: it comes with Load more.
  if (place < 0 && list.hasNextPage) return { ...list, totalCount: list.totalCount + 1 };
  const items = [...list.items];
  items.splice(place < 0 ? items.length : place, 0, item);
  return { ...list, items, totalCount: list.totalCount + 1 };
}

/** What the item's state reads as: "Unseen", "Seen", "Read", "Archived". */
export function stateOf(item: Item): 'Archived' | 'Read' | 'Seen' | 'Unseen' {
  if (item.archivedAt) return 'Archived';
  if (item.readAt) return 'Read';
  if (item.seenAt) return 'Seen';
  return 'Unseen';
}
