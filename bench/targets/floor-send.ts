// The floor of send: the key lookup, the scope check in JS, then one
// INSERT…SELECT writing the message, its channels and the deliveries, with the
// channel ids as parameters. Channel-scoped keys only (the bench's), as a floor.
import { type FloorKey, findKey, query, serve, unauthenticated } from './floor.ts';

const SEND = {
  name: 'floor-send',
  text: `WITH targets AS MATERIALIZED (SELECT DISTINCT "recipientId" AS id FROM "RecipientChannel" WHERE "channelId" = ANY($3::uuid[]) ORDER BY id),
         message AS (
           INSERT INTO "Message" ("accountId", "apiKeyId", title, body, data, "allRecipients", "recipientCount")
           SELECT $1::uuid, $2::uuid, $4, $5, $6::jsonb, false, (SELECT count(*)::int FROM targets)
           RETURNING id, "recipientCount"
         ),
         message_channels AS (INSERT INTO "MessageChannel" ("channelId", "messageId") SELECT c, message.id FROM message, unnest($3::uuid[]) AS c),
         deliveries AS (INSERT INTO "Delivery" ("messageId", "recipientId") SELECT message.id, targets.id FROM message, targets)
         SELECT id, "recipientCount" FROM message`,
};

interface SendBody {
  variables: { input: { target: { channels: string[] }; message: { title: string; body: string; data?: unknown } } };
}

const error = (status: number, message: string, code: string): [number, string] => [
  status,
  JSON.stringify({ errors: [{ message, extensions: { code } }] }),
];

/** The target's channel ids, or null when one is outside the key's channels. */
function channelIdsInScope(key: FloorKey, slugs: string[]): string[] | null {
  const ids: string[] = [];
  for (const slug of slugs) {
    const at = key.channelSlugs.indexOf(slug);
    if (at < 0) return null;
    ids.push(key.channelIds[at]);
  }
  return ids;
}

serve(async (req, raw) => {
  if (!req.headers.authorization) return [200, '{"data":{"__typename":"Query"}}'];
  const key = await findKey(req.headers.authorization);
  if (!key) return unauthenticated;
  if (key.scopeKind !== 'CHANNELS') return error(400, 'The floor serves channel-scoped keys only.', 'BAD_USER_INPUT');
  const { target, message } = (JSON.parse(raw) as SendBody).variables.input;
  const channelIds = channelIdsInScope(key, target.channels);
  if (!channelIds) return error(403, 'The key may not send to these channels.', 'FORBIDDEN');
  const data = message.data === undefined ? null : JSON.stringify(message.data);
  const { rows } = await query<{ id: string; recipientCount: number }>({
    ...SEND,
    values: [key.accountId, key.id, channelIds, message.title, message.body, data],
  });
  return [200, JSON.stringify({ data: { send: { message: rows[0] } } })];
});
