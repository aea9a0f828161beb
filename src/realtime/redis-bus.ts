// The bus over Redis pub/sub: one connection publishes, one subscribes (a
// subscribed Redis connection does nothing else), to the channels of the
// accounts this instance holds streams of. ioredis reconnects and resubscribes
// by itself; events published meanwhile are lost, as pub/sub's are, and clients
// repair the gap by resuming with `after`.
import { Redis } from 'ioredis';
import { type Bus, type BusEvent, busChannel, decodeBusEvent, outageReporter, withinFollowWait } from './bus.ts';

export class RedisBus implements Bus {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly reporter: ReturnType<typeof outageReporter>;

  constructor(url: string, onOutage: (error: unknown) => void, onRecovery: () => void) {
    const options = { connectTimeout: 2_000, retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000) };
    // Publishing never queues behind a reconnect: an event is either sent now or lost (and repaired by a resume).
    // The sends of one event-loop turn publish in one write (auto-pipelining).
    this.publisher = new Redis(url, { ...options, enableOfflineQueue: false, maxRetriesPerRequest: 0, enableAutoPipelining: true });
    this.subscriber = new Redis(url, options);
    this.reporter = outageReporter(onOutage, onRecovery);
    for (const connection of [this.publisher, this.subscriber]) connection.on('error', () => {});
    this.subscriber.on('end', () => {});
  }

  publish(event: BusEvent): void {
    this.publisher.publish(busChannel(event.accountId), JSON.stringify(event)).then(
      () => this.reporter.succeeded(),
      (error: unknown) => this.reporter.failed(error),
    );
  }

  async start(handler: (event: BusEvent) => void): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => {
      const event = decodeBusEvent(channel, message);
      if (event) handler(event);
    });
    // Connected (or given up on for now): the first stream of an account then waits for its subscription only.
    await withinFollowWait(this.subscriber.ping());
  }

  follow(accountId: string): Promise<void> {
    return withinFollowWait(this.subscriber.subscribe(busChannel(accountId)));
  }

  unfollow(accountId: string): void {
    this.subscriber.unsubscribe(busChannel(accountId)).catch(() => {});
  }

  async close(): Promise<void> {
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }
}
