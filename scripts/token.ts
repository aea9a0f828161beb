// npm run --silent token -- --account <slug> [--member <id>] [--email <address>] [--name <name>] [--expires 12h]
// Prints a member JWT as the last line. Needs no database: the server
// provisions the account and the member on the first request with it, and
// keeps the email and name claims to show the member by.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { hmacSecret, PROFILE_LIMITS, profileClaim, signMemberToken } from '../src/auth/jwt.ts';
import { loadConfig } from '../src/config.ts';

const { values } = parseArgs({
  options: {
    account: { type: 'string' },
    member: { type: 'string' },
    email: { type: 'string' },
    name: { type: 'string' },
    expires: { type: 'string', default: '12h' },
  },
});
const account = values.account?.trim();
if (!account || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(account)) {
  console.error('usage: npm run --silent token -- --account <slug>   (lowercase letters, digits and -)');
  process.exit(2);
}
const profile: { email?: string; name?: string } = {};
for (const claim of ['email', 'name'] as const) {
  if (values[claim] === undefined) continue;
  profile[claim] = profileClaim(values[claim], PROFILE_LIMITS[claim]);
  if (profile[claim] === undefined) {
    console.error(`--${claim}: plain text of 1 to ${PROFILE_LIMITS[claim]} characters, without control characters`);
    process.exit(2);
  }
}
const config = loadConfig();
if (config.jwt.kind === 'jwks') {
  console.error('AUTH_JWKS_URL is set: tokens come from your identity provider, not from this command.');
  process.exit(2);
}
const token = await signMemberToken(
  await hmacSecret(config),
  { subject: values.member ?? `member-${randomUUID()}`, accountSlug: account, ...profile },
  values.expires,
);
console.log(token);
