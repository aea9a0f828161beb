// Recipients you can manage: a bulk import of 10,000 rows, and one page of 100
// recipients out of the seed's 110,021 (100,000 of them in the fanout
// channel), both through Herald's HTTP API.
import { graphql } from './graphql.ts';
import type { Workload } from './load.ts';
import { ACCOUNT, CHANNELS, FANOUT_CHANNEL } from './seed.ts';
import { memberToken } from './setup.ts';

/** A separate account, so that the page's account keeps exactly the seed's recipients. */
const IMPORT_ACCOUNT = 'bench-import';
export const IMPORT_ROWS = 10_000;
const IMPORT_CHANNELS = ['import-a', 'import-b', 'import-c'];

const UPSERT = 'mutation ($input: UpsertRecipientsInput!) { upsertRecipients(input: $input) { created updated } }';

export interface ImportResult {
  /** 10,000 new recipients, each in two channels. */
  createdMs: number;
  /** The same 10,000 again, each moved to other channels. */
  updatedMs: number;
}

const rows = (n: number, prefix: string, channel: (i: number) => string[]) =>
  Array.from({ length: n }, (_, i) => ({ externalId: `${prefix}-${String(i).padStart(6, '0')}`, channels: channel(i) }));

async function timedImport(url: string, token: string, recipients: ReturnType<typeof rows>) {
  const started = performance.now();
  const data = await graphql<{ upsertRecipients: { created: number; updated: number } }>(url, UPSERT, { input: { recipients } }, token);
  return { ms: performance.now() - started, ...data.upsertRecipients };
}

/** upsertRecipients of 10,000 rows: once creating them, once changing every one's channels. */
export async function measureImport(url: string): Promise<ImportResult> {
  const token = await memberToken(IMPORT_ACCOUNT);
  for (const slug of IMPORT_CHANNELS) {
    await graphql(
      url,
      'mutation ($input: CreateChannelInput!) { createChannel(input: $input) { id } }',
      { input: { slug, name: slug } },
      token,
    );
  }
  // Warm-up: the same path on a small import (the statements' first plans, the code's first run).
  for (let i = 0; i < 5; i += 1)
    await timedImport(
      url,
      token,
      rows(100, `warm-${i}`, () => IMPORT_CHANNELS.slice(0, 2)),
    );
  const created = await timedImport(
    url,
    token,
    rows(IMPORT_ROWS, 'user', (i) => [IMPORT_CHANNELS[i % 3], IMPORT_CHANNELS[(i + 1) % 3]]),
  );
  if (created.created !== IMPORT_ROWS) throw new Error(`the import created ${created.created} recipients, not ${IMPORT_ROWS}`);
  const updated = await timedImport(
    url,
    token,
    rows(IMPORT_ROWS, 'user', (i) => [IMPORT_CHANNELS[(i + 2) % 3]]),
  );
  if (updated.updated !== IMPORT_ROWS) throw new Error(`the import updated ${updated.updated} recipients, not ${IMPORT_ROWS}`);
  return { createdMs: created.ms, updatedMs: updated.ms };
}

const PAGE = 100;

interface Page {
  recipients: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean };
    edges: { node: { externalId: string; channels: { slug: string }[] } }[];
  };
}

/**
 * A member reading one page of 100 recipients, with their channels and the
 * total, from the middle of the seed's (after a cursor): what a dashboard's
 * recipients list asks for.
 */
export async function recipientsPage(url: string): Promise<Workload> {
  const token = await memberToken(ACCOUNT);
  const after = Buffer.from(`recipient:${FANOUT_CHANNEL}-50000`).toString('base64url');
  // Every seeded recipient is in one channel.
  const total = CHANNELS.reduce((n, channel) => n + channel.recipients, 0);
  return {
    url,
    token,
    query: `query ($after: String) { recipients(first: ${PAGE}, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id externalId channels { slug } } } } }`,
    variables: { after },
    accepts: (body) => body.startsWith(`{"data":{"recipients":{"totalCount":${total},`) && !body.includes('"errors"'),
    validate(response) {
      const { edges, pageInfo } = (response.data as Page).recipients;
      if (edges.length !== PAGE || !pageInfo.hasNextPage || edges.some((e) => e.node.channels.length !== 1)) {
        throw new Error(`recipients gave ${edges.length} recipients (hasNextPage ${pageInfo.hasNextPage}), not a full page of ${PAGE}`);
      }
    },
  };
}
