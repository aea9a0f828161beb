// The bench's ablation table (npm run bench -- --ablation) runs the server with
// one feature switched off at a time, to measure what each costs a request:
// HERALD_ABLATE=metrics,cost-limit,… Read once, at start. Never for real use:
// several of these remove a protection (main.ts warns in its log when any is set).
export const ABLATABLE = {
  metrics: 'the Prometheus metrics (/metrics, and the counts of each request)',
  'request-log': 'the one log line per request',
  'cost-limit': "the cost model's check before execution",
  armor: 'the GraphQL Armor rules (tokens, depth, aliases, directives, suggestions)',
  idempotency: 'Idempotency-Key handling',
  'rate-limit': 'the per-key rate limit and IP allow-list (admission)',
  usage: 'per-key usage counting',
  access: "the access middleware's caller checks (the target it resolves for send remains)",
  'tenant-client': 'the account-confined Prisma client (resolvers get the root client)',
  'key-cache': "authentication's memory of keys and address blocks (as AUTH_CACHE_MS=0: every request reads them)",
  'body-limit': 'the request body checks (JSON only, 1 MiB)',
  readiness: 'the /ready check plugin',
  deadlines: 'request deadlines and the in-flight limit',
  'bus-publish': "send's notification of the inbox streams (pg_notify or Redis)",
} as const;

export type Feature = keyof typeof ABLATABLE;

export function parseAblation(value: string | undefined): ReadonlySet<Feature> {
  const names = (value ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(name in ABLATABLE)) throw new Error(`HERALD_ABLATE: unknown feature "${name}" (one of ${Object.keys(ABLATABLE).join(', ')})`);
  }
  return new Set(names as Feature[]);
}

/** The features this process runs without. */
export const ablated: ReadonlySet<Feature> = parseAblation(process.env.HERALD_ABLATE);

export const isAblated = (feature: Feature): boolean => ablated.has(feature);
