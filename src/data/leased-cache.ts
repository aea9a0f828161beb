// What authentication reads on every request (keys, address blocks), kept in
// this process's memory under a lease.
//
// One process (the embedded database): the lease never ends, and every write
// drops what it changes here before and after it commits.
//
// A fleet (PostgreSQL): another instance may write, and its writes cannot reach
// this memory. So an entry serves only for `leaseMs` from the moment its read
// was sent, and a write that changes what an entry holds waits `leaseMs` after
// its commit before it answers (`settled`). By then every instance's copy read
// before the commit has expired: the next request anywhere reads the write.
// Clocks are monotonic and each side measures its own interval, so no clock
// need agree with another's time, only with its rate.
import { setTimeout as sleep } from 'node:timers/promises';

/** Taken before a read is sent: set() stores the read only if nothing was dropped meanwhile. */
export interface Lease {
  generation: number;
  /** performance.now() when the read was sent. */
  sentAt: number;
}

export class LeasedCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  /** Bumped by every drop: a read that started before one must not store what it read. */
  private generation = 0;

  private constructor(
    /** Infinity: one process, whose own writes drop what they change. */
    readonly leaseMs: number,
    private readonly maxEntries: number,
  ) {}

  /** The embedded database: one process holds it, every write passes here. */
  static forProcess<V>(maxEntries = 10_000): LeasedCache<V> {
    return new LeasedCache<V>(Number.POSITIVE_INFINITY, maxEntries);
  }

  /** A fleet: entries serve for `leaseMs` (above 0), and writes wait as long. */
  static forFleet<V>(leaseMs: number, maxEntries = 10_000): LeasedCache<V> {
    if (!(leaseMs > 0 && Number.isFinite(leaseMs))) throw new RangeError('A fleet lease is a positive number of milliseconds.');
    return new LeasedCache<V>(leaseMs, maxEntries);
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.until > performance.now()) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  begin(): Lease {
    return { generation: this.generation, sentAt: performance.now() };
  }

  set(key: string, value: V, lease: Lease): void {
    if (lease.generation !== this.generation) return;
    if (!this.entries.has(key) && this.entries.size >= this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(key, { value, until: lease.sentAt + this.leaseMs });
  }

  /** Drops the entries `matches` picks (all of them without it), and refuses every read still under way. */
  drop(matches?: (value: V, key: string) => boolean): void {
    this.generation += 1;
    if (!matches) this.entries.clear();
    else for (const [key, entry] of this.entries) if (matches(entry.value, key)) this.entries.delete(key);
  }

  /**
   * For a write that changed what entries may hold, after it commits: resolves
   * once no instance can still serve what it read before (at once for one process).
   */
  async settled(): Promise<void> {
    // A margin for timers that fire a millisecond early and clocks whose rates differ slightly.
    if (Number.isFinite(this.leaseMs)) await sleep(Math.ceil(this.leaseMs * 1.01) + 2);
  }
}
