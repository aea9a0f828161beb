// The floor of send: the key lookup, the scope check in JS, then one
// INSERT…SELECT writing the message, its channels and the deliveries (./floor.ts).
import { findKey, query, SEND, type SendMessage, sendValues, serve, unauthenticated } from './floor.ts';

interface SendBody {
  variables: { input: { target: { channels: string[] }; message: SendMessage } };
}

const error = (status: number, message: string, code: string): [number, string] => [
  status,
  JSON.stringify({ errors: [{ message, extensions: { code } }] }),
];

serve(async (req, raw) => {
  if (!req.headers.authorization) return [200, '{"data":{"__typename":"Query"}}'];
  const key = await findKey(req.headers.authorization);
  if (!key) return unauthenticated;
  const { target, message } = (JSON.parse(raw) as SendBody).variables.input;
  const values = sendValues(key, target.channels, message);
  if (!values) return error(403, 'The key may not send to these channels.', 'FORBIDDEN');
  const { rows } = await query<{ id: string; recipientCount: number }>({ ...SEND, values });
  return [200, JSON.stringify({ data: { send: { message: rows[0] } } })];
});
