// Keys as authentication read them, by secret hash, for the embedded database
// only: one process owns it, and every write of a key goes through
// ./api-keys.ts, which drops the key here before and after it commits. On
// PostgreSQL another instance may write a key, so each request reads it instead.
import type { AuthKey } from './api-keys.ts';

export class KeyCache {
  private readonly byHash = new Map<string, AuthKey>();
  /** Bumped by every invalidation: a lookup that started before one must not store what it read. */
  private generation = 0;

  constructor(private readonly maxEntries = 10_000) {}

  get(hash: string): AuthKey | undefined {
    return this.byHash.get(hash);
  }

  /** A token to pass back to set(): it refuses if an invalidation happened in between. */
  begin(): number {
    return this.generation;
  }

  set(hash: string, entry: AuthKey, startedAt: number): void {
    if (startedAt !== this.generation) return;
    if (this.byHash.size >= this.maxEntries) this.byHash.delete(this.byHash.keys().next().value as string);
    this.byHash.set(hash, entry);
  }

  /** Every secret of the key: the next request with either reads the key afresh. */
  invalidate(keyId: string): void {
    this.generation += 1;
    for (const [hash, entry] of this.byHash) if (entry.id === keyId) this.byHash.delete(hash);
  }
}
