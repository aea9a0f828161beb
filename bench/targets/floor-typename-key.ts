// The floor of key verification: the key lookup alone, then `{ __typename }`'s answer.
import { findKey, serve, unauthenticated } from './floor.ts';

serve(async (req) => {
  if (!req.headers.authorization) return [200, '{"data":{"__typename":"Query"}}'];
  const key = await findKey(req.headers.authorization);
  return key ? [200, '{"data":{"__typename":"Query"}}'] : unauthenticated;
});
