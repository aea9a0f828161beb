// The externalIds a member previewed in this tab, most recent first: offered
// again by the Inbox preview (Herald has no recipient list to choose from yet).
// Kept with the member's token in sessionStorage, and cleared with it.
const KEY = 'herald.recentRecipients';
const KEPT = 5;

export const recentRecipients = {
  get(): string[] {
    try {
      const list = JSON.parse(sessionStorage.getItem(KEY) ?? '[]');
      return Array.isArray(list) ? list.filter((id): id is string => typeof id === 'string').slice(0, KEPT) : [];
    } catch {
      return [];
    }
  },
  add(externalId: string): string[] {
    const list = [externalId, ...recentRecipients.get().filter((id) => id !== externalId)].slice(0, KEPT);
    sessionStorage.setItem(KEY, JSON.stringify(list));
    return list;
  },
  clear: () => sessionStorage.removeItem(KEY),
};
