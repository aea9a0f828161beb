// The bus over Redis pub/sub: one connection publishes, one subscribes (a
// subscribed Redis connection does nothing else). ioredis reconnects and
// resubscribes by itself; events published meanwhile are lost, as pub/sub's
// are, and clients repair the gap by resuming with `after`.
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { BUS_CHANNEL, type Bus, type BusEvent, decodeBusEvent, outageReporter } from './bus.ts';

/** How long start() waits for Redis before serving anyway (streams then hear only this instance's events until it answers). */
const START_WAIT_MS = 2_000;

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
    this.publisher.publish(BUS_CHANNEL, JSON.stringify(event)).then(
      () => this.reporter.succeeded(),
      (error: unknown) => this.reporter.failed(error),
    );
  }

  async start(handler: (event: BusEvent) => void): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== BUS_CHANNEL) return;
      const event = decodeBusEvent(message);
      if (event) handler(event);
    });
    const subscribed = this.subscriber.subscribe(BUS_CHANNEL);
    subscribed.catch(() => {});
    await Promise.race([subscribed, sleep(START_WAIT_MS, undefined, { ref: false })]);
  }

  async close(): Promise<void> {
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }
}
