// Verified API keys by secret hash, for the embedded database only: one
// process owns it, so invalidating here reaches every later request. On
// PostgreSQL another instance may edit a key, so each request reads it instead.
import type { ApiKeyCaller } from './index.ts';

interface Entry {
  caller: ApiKeyCaller;
  lastUsedAt: number | null;
}

export class KeyCache {
  private readonly byHash = new Map<string, Entry>();
  /** Bumped by every invalidation: a lookup that started before one must not store what it read. */
  private generation = 0;

  constructor(private readonly maxEntries = 10_000) {}

  get(hash: string): Entry | undefined {
    return this.byHash.get(hash);
  }

  /** A token to pass back to set(): it refuses if an invalidation happened in between. */
  begin(): number {
    return this.generation;
  }

  set(hash: string, entry: Entry, startedAt: number): void {
    if (startedAt !== this.generation) return;
    if (this.byHash.size >= this.maxEntries) this.byHash.delete(this.byHash.keys().next().value as string);
    this.byHash.set(hash, entry);
  }

  /** After an edit of the key (name, scope): the next request reads it afresh. */
  invalidate(keyId: string): void {
    this.generation += 1;
    for (const [hash, entry] of this.byHash) if (entry.caller.key.id === keyId) this.byHash.delete(hash);
  }
}
