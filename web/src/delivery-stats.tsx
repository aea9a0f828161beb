// What became of one message: a bar over its recipients, seen (light) and read
// (dark, read implies seen) from the same start, the numbers under it, and the
// webhook outcomes when there are any.
import { count } from './format.ts';
import type { DashboardMessagesQuery } from './generated/graphql.ts';

type Stats = DashboardMessagesQuery['messages']['edges'][number]['node']['deliveryStats'];

const share = (part: number, whole: number) => `${whole > 0 ? (part / whole) * 100 : 0}%`;

export function DeliveryStats({ stats }: { stats: Stats }) {
  const { recipients, seen, read } = stats;
  const webhooks = stats.webhooksSucceeded + stats.webhooksPending + stats.webhooksFailed;
  return (
    <div class="delivery">
      {recipients === 0 ? (
        <p class="muted delivery-numbers">No recipients</p>
      ) : (
        <>
          {/* The bar repeats the numbers below it for the eye: screen readers get the numbers. */}
          <div class="delivery-bar" aria-hidden="true">
            <span class="bar-seen" style={{ width: share(seen, recipients) }} />
            <span class="bar-read" style={{ width: share(read, recipients) }} />
          </div>
          <p class="delivery-numbers">
            <span>
              <strong>{count(recipients)}</strong> {recipients === 1 ? 'recipient' : 'recipients'}
            </span>
            <span class="legend seen">
              <strong>{count(seen)}</strong> seen
            </span>
            <span class="legend read">
              <strong>{count(read)}</strong> read
            </span>
          </p>
        </>
      )}
      {webhooks > 0 && (
        <p class="webhooks">
          Webhooks:{' '}
          {[
            { n: stats.webhooksSucceeded, text: 'delivered' },
            { n: stats.webhooksPending, text: 'pending' },
            { n: stats.webhooksFailed, text: 'failed' },
          ]
            .filter(({ n }) => n > 0)
            .map(({ n, text }, i) => (
              <span key={text} class={text}>
                {i > 0 && ', '}
                {count(n)} {text}
              </span>
            ))}
        </p>
      )}
    </div>
  );
}
