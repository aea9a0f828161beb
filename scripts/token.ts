// npm run --silent token -- --account <slug> [--member <id>] [--expires 12h]
// Prints a member JWT as the last line. Needs no database: the server
// provisions the account and the member on the first request with it.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { hmacSecret, signMemberToken } from '../src/auth/jwt.ts';
import { loadConfig } from '../src/config.ts';

const { values } = parseArgs({
  options: { account: { type: 'string' }, member: { type: 'string' }, expires: { type: 'string', default: '12h' } },
});
const account = values.account?.trim();
if (!account || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(account)) {
  console.error('usage: npm run --silent token -- --account <slug>   (lowercase letters, digits and -)');
  process.exit(2);
}
const config = loadConfig();
if (config.jwt.kind === 'jwks') {
  console.error('AUTH_JWKS_URL is set: tokens come from your identity provider, not from this command.');
  process.exit(2);
}
const token = await signMemberToken(
  await hmacSecret(config),
  { subject: values.member ?? `member-${randomUUID()}`, accountSlug: account },
  values.expires,
);
console.log(token);
