// What the seed cannot do in SQL: API keys need their secrets, which only Herald makes.
import { signMemberToken } from '../src/auth/jwt.ts';
import { graphql } from './graphql.ts';
import { ACCOUNT, FANOUT_CHANNEL, SEND_CHANNELS } from './seed.ts';
import { JWT_SECRET } from './servers.ts';

/** A separate account, so that the listing holds exactly its 100 keys. */
const LISTING_ACCOUNT = 'bench-keys';
const LISTING_CHANNELS = ['k-one', 'k-two'];
export const LISTED_KEYS = 100;

export function memberToken(accountSlug: string): Promise<string> {
  return signMemberToken(new TextEncoder().encode(JWT_SECRET), { subject: 'bench-member', accountSlug }, '2h');
}

async function createKey(url: string, token: string, name: string, channels: string[], settings: object = {}): Promise<string> {
  const data = await graphql<{ createApiKey: { secret: string } }>(
    url,
    'mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }',
    { input: { name, scope: { kind: 'CHANNELS', channels }, ...settings } },
    token,
  );
  return data.createApiKey.secret;
}

export interface BenchKeys {
  /** Scoped to the two send channels. */
  send: string;
  /** Scoped to the fanout channel and one small channel, which warms the server up. */
  fanout: string;
  /** Like `send`, with a rate limit of its own (the highest allowed, never reached by the bench). */
  limited: string;
}

export async function createBenchKeys(url: string): Promise<BenchKeys> {
  const token = await memberToken(ACCOUNT);
  return {
    send: await createKey(url, token, 'send', SEND_CHANNELS),
    fanout: await createKey(url, token, 'fanout', [FANOUT_CHANNEL, SEND_CHANNELS[0]]),
    limited: await createKey(url, token, 'limited', SEND_CHANNELS, { rateLimitPerMinute: 100_000 }),
  };
}

/** Returns the token of a member whose account has 100 keys, each scoped to two channels. */
export async function createKeyListing(url: string): Promise<string> {
  const token = await memberToken(LISTING_ACCOUNT);
  for (const slug of LISTING_CHANNELS) {
    await graphql(
      url,
      'mutation ($input: CreateChannelInput!) { createChannel(input: $input) { id } }',
      { input: { slug, name: slug } },
      token,
    );
  }
  for (let i = 0; i < LISTED_KEYS; i += 1) await createKey(url, token, `key-${i}`, LISTING_CHANNELS);
  return token;
}
