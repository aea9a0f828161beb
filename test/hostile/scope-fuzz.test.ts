// Model-based scope fuzzing: fast-check drives random sequences of commands
// (channels, recipients, keys, scope edits, sends, recipient edits and
// erasures, channel deletions) against a fresh account, and
// an independent model of SPEC.md's rules predicts every answer. The server and
// the model must agree on each step: status, error code, who was reached, and
// what each key may see. The model is written from the spec, not from
// src/scoping/rules.ts, so that the two can disagree.
import fc from 'fast-check';
import type { ScopeInput } from '../generated/graphql.ts';
import {
  Channels,
  CreateApiKey,
  CreateChannel,
  CreateRecipient,
  DeleteChannel,
  DeleteRecipient,
  Messages,
  Recipients,
  Send,
  UpdateApiKey,
  UpdateRecipient,
} from '../support/documents.ts';
import { describe, expect, TestAccount, TestKey, test, uniqueSlug } from '../support/fixtures.ts';
import { errorOf, type Result, type TestHerald } from '../support/herald.ts';

// ---------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------

/** The channels an account may create; GHOST never exists. */
const POOL = ['alpha', 'beta', 'gamma', 'delta'] as const;
const GHOST = 'ghost';

type ScopeSpec = { kind: 'ALL'; channels?: string[] } | { kind: 'CHANNELS'; channels: string[] };

type Command =
  | { kind: 'createChannel'; slug: string }
  | { kind: 'createRecipient'; channels: string[] }
  | { kind: 'keyCreatesRecipient'; key: number; channels: string[] }
  | { kind: 'createKey'; scope: ScopeSpec }
  | { kind: 'updateKey'; key: number; scope: ScopeSpec | null; rename: boolean }
  | { kind: 'send'; key: number; target: string[] | null; padFirst: boolean }
  /** `by`: a key, or the member (null). */
  /** `ownOnly`: a CHANNELS key names only those of the channels that are its own. */
  | { kind: 'editRecipient'; by: number | null; recipient: number; channels: string[]; ownOnly: boolean }
  | { kind: 'deleteRecipient'; by: number | null; recipient: number }
  | { kind: 'deleteChannel'; slug: string };

const slugArb = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...POOL) }, { weight: 1, arbitrary: fc.constant(GHOST) });
const slugListArb = (minLength: number) => fc.array(slugArb, { minLength, maxLength: 4 });

const scopeArb: fc.Arbitrary<ScopeSpec> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ kind: 'ALL' as const }) },
  { weight: 6, arbitrary: fc.subarray([...POOL], { minLength: 1 }).map((channels) => ({ kind: 'CHANNELS' as const, channels })) },
  // Rarely invalid: empty, a slug not created (yet), GHOST, or ALL with channels.
  { weight: 1, arbitrary: slugListArb(0).map((channels) => ({ kind: 'CHANNELS' as const, channels })) },
  { weight: 1, arbitrary: slugListArb(0).map((channels) => ({ kind: 'ALL' as const, channels })) },
);

const keyRef = fc.nat({ max: 7 });

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('createChannel' as const), slug: fc.constantFrom(...POOL) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('createRecipient' as const), channels: slugListArb(0) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('keyCreatesRecipient' as const), key: keyRef, channels: slugListArb(0) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('createKey' as const), scope: scopeArb }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('updateKey' as const),
      key: keyRef,
      scope: fc.option(scopeArb, { nil: null }),
      rename: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('editRecipient' as const),
      by: fc.option(keyRef, { nil: null }),
      recipient: fc.nat({ max: 40 }),
      // Mostly channels that may exist, so that edits are often accepted.
      channels: fc.oneof({ weight: 3, arbitrary: fc.subarray([...POOL]) }, { weight: 1, arbitrary: slugListArb(0) }),
      ownOnly: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('deleteRecipient' as const),
      by: fc.option(keyRef, { nil: null }),
      recipient: fc.nat({ max: 40 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteChannel' as const), slug: fc.constantFrom(...POOL) }) },
  {
    weight: 7,
    arbitrary: fc.record({
      kind: fc.constant('send' as const),
      key: keyRef,
      target: fc.oneof(
        { weight: 2, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.constant<string[]>([]) },
        { weight: 6, arbitrary: slugListArb(1) as fc.Arbitrary<string[]> },
      ),
      padFirst: fc.boolean(),
    }),
  },
);

/**
 * Each run starts from a random but useful account (some channels, recipients
 * and keys, every step still checked against the model), then random commands.
 */
const sequenceArb: fc.Arbitrary<Command[]> = fc
  .tuple(
    fc.subarray([...POOL], { minLength: 1 }),
    fc.array(fc.subarray([...POOL]), { minLength: 1, maxLength: 5 }),
    fc.array(scopeArb, { minLength: 1, maxLength: 3 }),
    fc.array(commandArb, { minLength: 1, maxLength: 40, size: 'medium' }),
  )
  .map(([channels, recipients, keys, commands]): Command[] => [
    ...channels.map((slug): Command => ({ kind: 'createChannel', slug })),
    ...recipients.map((subset): Command => ({ kind: 'createRecipient', channels: subset })),
    ...keys.map((scope): Command => ({ kind: 'createKey', scope })),
    ...commands,
  ]);

// ---------------------------------------------------------------------------
// The model: SPEC.md, "Scope behaviour of send" and the rules around it
// ---------------------------------------------------------------------------

type ModelScope = { kind: 'ALL' } | { kind: 'CHANNELS'; channels: Set<string> };

interface ModelKey {
  name: string;
  scope: ModelScope;
}

interface Model {
  channels: Set<string>;
  recipients: { id: string; externalId: string; channels: Set<string> }[];
  keys: ModelKey[];
  messages: { id: string; allRecipients: boolean; channels: Set<string> }[];
}

type Prediction =
  | { ok: false; code: 'BAD_USER_INPUT'; status: 400 }
  | { ok: false; code: 'FORBIDDEN'; status: 403; offending?: string[] }
  | { ok: true };

const badInput: Prediction = { ok: false, code: 'BAD_USER_INPUT', status: 400 };
const forbidden = (offending?: string[]): Prediction => ({ ok: false, code: 'FORBIDDEN', status: 403, offending });

/** Slugs are trimmed; naming one twice names it once. */
const normalize = (slugs: readonly string[]) => [...new Set(slugs.map((s) => s.trim()))];

/** A scope as the spec allows it: ALL without channels, CHANNELS with a non-empty set of existing channels. */
function scopeOf(model: Model, spec: ScopeSpec): ModelScope | null {
  if (spec.kind === 'ALL') return spec.channels === undefined ? { kind: 'ALL' } : null;
  const slugs = normalize(spec.channels);
  if (slugs.length === 0 || slugs.some((s) => !model.channels.has(s))) return null;
  return { kind: 'CHANNELS', channels: new Set(slugs) };
}

/** Who a send reaches, or why it is refused. */
function predictSend(
  model: Model,
  key: ModelKey,
  target: string[] | null,
): { refused: Prediction } | { allRecipients: boolean; channels: string[]; reached: string[] } {
  let channels: string[];
  if (target === null) {
    // Absent: the key's whole scope.
    if (key.scope.kind === 'ALL') {
      return { allRecipients: true, channels: [], reached: model.recipients.map((r) => r.externalId).sort() };
    }
    channels = [...key.scope.channels];
  } else {
    channels = normalize(target);
    // An empty list targets no one.
    if (channels.length === 0) return { refused: badInput };
    if (key.scope.kind === 'CHANNELS') {
      // Any slug outside the assignment (one that does not exist included): 403, naming them.
      const scope = key.scope.channels;
      const offending = channels.filter((s) => !scope.has(s));
      if (offending.length > 0) return { refused: forbidden(offending) };
    } else if (channels.some((s) => !model.channels.has(s))) {
      return { refused: badInput }; // an ALL key naming an unknown slug
    }
  }
  const targeted = new Set(channels);
  const reached = model.recipients.filter((r) => [...r.channels].some((c) => targeted.has(c))).map((r) => r.externalId);
  return { allRecipients: false, channels: channels.sort(), reached: reached.sort() };
}

/** What a key may subscribe a new recipient to (SPEC: a CHANNELS key, at least one channel, all its own). */
function predictKeySubscription(model: Model, key: ModelKey, channels: string[]): Prediction {
  const slugs = normalize(channels);
  if (key.scope.kind === 'CHANNELS') {
    const scope = key.scope.channels;
    if (slugs.length === 0) return forbidden();
    const offending = slugs.filter((s) => !scope.has(s));
    return offending.length > 0 ? forbidden(offending) : { ok: true };
  }
  return slugs.some((s) => !model.channels.has(s)) ? badInput : { ok: true };
}

/** updateRecipient: a member or an ALL key sets any existing channels; a CHANNELS key must reach the recipient and names only its own. */
function predictEdit(
  model: Model,
  key: ModelKey | null,
  current: Set<string>,
  requested: string[],
): { refused: Prediction } | { channels: Set<string> } {
  const given = normalize(requested);
  if (key?.scope.kind !== 'CHANNELS') {
    return given.some((s) => !model.channels.has(s)) ? { refused: badInput } : { channels: new Set(given) };
  }
  const scope = key.scope.channels;
  // SPEC: a CHANNELS key sees (and reaches) only recipients in one of its channels.
  if (![...current].some((c) => scope.has(c))) return { refused: forbidden() };
  const offending = given.filter((s) => !scope.has(s));
  if (offending.length > 0) return { refused: forbidden(offending) };
  // It adds and removes only its own channels: the others stay.
  return { channels: new Set([...[...current].filter((c) => !scope.has(c)), ...given]) };
}

/** What a caller sees of recipients: a CHANNELS key, those in one of its channels, with only its own channels. */
function visibleRecipients(model: Model, key: ModelKey | null): [string, string[]][] {
  const scope = key?.scope.kind === 'CHANNELS' ? key.scope.channels : null;
  return model.recipients
    .filter((r) => !scope || [...r.channels].some((c) => scope.has(c)))
    .map((r): [string, string[]] => [r.externalId, [...r.channels].filter((c) => !scope || scope.has(c)).sort()])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

const visibleChannels = (model: Model, key: ModelKey) => (key.scope.kind === 'ALL' ? [...model.channels] : [...key.scope.channels]).sort();

/** A CHANNELS key sees the messages that went to channels (not to all recipients), all within its scope. */
function visibleMessages(model: Model, key: ModelKey | null): string[] {
  const scope = key?.scope;
  return model.messages
    .filter(
      (m) =>
        !scope || scope.kind === 'ALL' || (!m.allRecipients && m.channels.size > 0 && [...m.channels].every((c) => scope.channels.has(c))),
    )
    .map((m) => m.id)
    .sort();
}

// ---------------------------------------------------------------------------
// Running a sequence against the server
// ---------------------------------------------------------------------------

const toInput = (spec: ScopeSpec): ScopeInput =>
  spec.kind === 'ALL' ? { kind: 'ALL', ...(spec.channels === undefined ? {} : { channels: spec.channels }) } : spec;

function expectRefusal(result: Result<unknown>, prediction: Prediction & { ok: false }, keyName?: string): void {
  const error = errorOf(result);
  expect({ code: error.code, status: error.status }, result.describe()).toEqual({ code: prediction.code, status: prediction.status });
  if (prediction.code === 'FORBIDDEN' && prediction.offending && keyName !== undefined) {
    // SPEC: a clear message that names the offending slugs.
    const match = /^API key "(.*)" may not (?:target|subscribe recipients to|change recipients in) channels: (.*)$/s.exec(error.message);
    expect(match, `a scope-violation message: ${error.message}`).not.toBeNull();
    expect(match?.[1]).toBe(keyName);
    expect(new Set(match?.[2].split(', '))).toEqual(new Set(prediction.offending));
  }
}

async function checkChannelsVisibility(model: Model, key: ModelKey, real: TestKey): Promise<void> {
  const result = await real.run(Channels, {}); // variables given: describe() needs them
  expect(result.errors, result.describe()).toBeUndefined();
  expect(
    result.data?.channels.map((c) => c.slug),
    `channels seen by ${key.name}`,
  ).toEqual(visibleChannels(model, key));
}

async function checkMessagesVisibility(model: Model, key: ModelKey | null, run: TestKey | TestAccount): Promise<void> {
  const result = await run.run(Messages, { first: 100 });
  expect(result.errors, result.describe()).toBeUndefined();
  const expected = visibleMessages(model, key);
  expect(result.data?.messages.edges.map((e) => e.node.id as string).sort(), `messages seen by ${key?.name ?? 'the member'}`).toEqual(
    expected,
  );
  expect(result.data?.messages.totalCount).toBe(expected.length);
}

async function checkRecipientsVisibility(model: Model, key: ModelKey | null, run: TestKey | TestAccount): Promise<void> {
  const result = await run.run(Recipients, { first: 100 });
  expect(result.errors, result.describe()).toBeUndefined();
  const expected = visibleRecipients(model, key);
  const seen = result.data?.recipients.edges.map((e): [string, string[]] => [e.node.externalId, e.node.channels.map((c) => c.slug)]);
  expect(seen, `recipients seen by ${key?.name ?? 'the member'}`).toEqual(expected);
  expect(result.data?.recipients.totalCount).toBe(expected.length);
}

/** How often each rule decided a step, over all runs: the generator must reach every one. */
const coverage = new Map<string, number>();
const saw = (what: string) => coverage.set(what, (coverage.get(what) ?? 0) + 1);

async function runSequence(herald: TestHerald, commands: Command[]): Promise<void> {
  const account = await TestAccount.provision(herald, uniqueSlug('fuzz'));
  const model: Model = { channels: new Set(), recipients: [], keys: [], messages: [] };
  const real: TestKey[] = [];
  const channelIds = new Map<string, string>();
  let recipients = 0;
  let renames = 0;

  /** A refused request changes nothing (lastUsedAt aside, which snapshots leave out). */
  const unchanged = async (prediction: Prediction, request: () => Promise<Result<unknown>>, keyName?: string): Promise<Result<unknown>> => {
    if (prediction.ok) return request();
    const before = await account.snapshot();
    const result = await request();
    expectRefusal(result, prediction, keyName);
    expect(await account.snapshot(), 'a refused request changed data').toEqual(before);
    return result;
  };

  for (const [step, command] of commands.entries()) {
    const at = `step ${step}: ${JSON.stringify(command)}`;
    try {
      switch (command.kind) {
        case 'createChannel': {
          // A duplicate slug is BAD_USER_INPUT.
          const prediction = model.channels.has(command.slug) ? badInput : { ok: true as const };
          const result = await unchanged(prediction, () =>
            account.run(CreateChannel, { input: { slug: command.slug, name: command.slug } }),
          );
          if (prediction.ok) {
            expect(result.errors, result.describe()).toBeUndefined();
            model.channels.add(command.slug);
            channelIds.set(command.slug, (result.data as { createChannel: { id: string } }).createChannel.id);
          }
          break;
        }
        case 'createRecipient': {
          // A member may subscribe to any existing channel; an unknown slug is BAD_USER_INPUT.
          const externalId = `r${recipients}`;
          const prediction = normalize(command.channels).some((s) => !model.channels.has(s)) ? badInput : { ok: true as const };
          const result = await unchanged(prediction, () =>
            account.run(CreateRecipient, { input: { externalId, channels: command.channels } }),
          );
          if (prediction.ok) {
            expect(result.errors, result.describe()).toBeUndefined();
            const { id } = (result.data as { createRecipient: { id: string } }).createRecipient;
            model.recipients.push({ id, externalId, channels: new Set(normalize(command.channels)) });
            recipients += 1;
          }
          break;
        }
        case 'keyCreatesRecipient': {
          if (model.keys.length === 0) break;
          const index = command.key % model.keys.length;
          const key = model.keys[index];
          const externalId = `r${recipients}`;
          const prediction = predictKeySubscription(model, key, command.channels);
          saw(`key creates a recipient: ${key.scope.kind} key, ${prediction.ok ? 'accepted' : prediction.code}`);
          const result = await unchanged(
            prediction,
            () => real[index].run(CreateRecipient, { input: { externalId, channels: command.channels } }),
            key.name,
          );
          if (prediction.ok) {
            expect(result.errors, result.describe()).toBeUndefined();
            const { id } = (result.data as { createRecipient: { id: string } }).createRecipient;
            model.recipients.push({ id, externalId, channels: new Set(normalize(command.channels)) });
            recipients += 1;
          }
          break;
        }
        case 'editRecipient': {
          if (model.recipients.length === 0 || (command.by !== null && model.keys.length === 0)) break;
          const recipient = model.recipients[command.recipient % model.recipients.length];
          const index = command.by === null ? null : command.by % model.keys.length;
          const key = index === null ? null : model.keys[index];
          const own = key?.scope.kind === 'CHANNELS' && command.ownOnly ? key.scope.channels : null;
          const channels = own ? command.channels.filter((c) => own.has(c)) : command.channels;
          const predicted = predictEdit(model, key, recipient.channels, channels);
          const caller = index === null ? account : real[index];
          const run = () => caller.run(UpdateRecipient, { input: { id: recipient.id, channels } });
          const who = key ? `${key.scope.kind} key` : 'member';
          if ('refused' in predicted) {
            saw(`updateRecipient: ${who}, ${predicted.refused.ok ? '' : predicted.refused.code}`);
            await unchanged(predicted.refused, run, key?.name);
            break;
          }
          saw(`updateRecipient: ${who}, accepted`);
          const result = await run();
          expect(result.errors, result.describe()).toBeUndefined();
          // The answer shows the channels the caller may see.
          const scope = key?.scope.kind === 'CHANNELS' ? key.scope.channels : null;
          const shown = [...predicted.channels].filter((c) => !scope || scope.has(c)).sort();
          expect(
            result.data?.updateRecipient.channels.map((c) => c.slug),
            result.describe(),
          ).toEqual(shown);
          recipient.channels = predicted.channels;
          break;
        }
        case 'deleteRecipient': {
          if (model.recipients.length === 0 || (command.by !== null && model.keys.length === 0)) break;
          const at = command.recipient % model.recipients.length;
          const recipient = model.recipients[at];
          const index = command.by === null ? null : command.by % model.keys.length;
          const key = index === null ? null : model.keys[index];
          // SPEC: members and ALL keys only.
          const prediction = key?.scope.kind === 'CHANNELS' ? forbidden() : { ok: true as const };
          saw(`deleteRecipient: ${key ? `${key.scope.kind} key` : 'member'}, ${prediction.ok ? 'accepted' : prediction.code}`);
          const caller = index === null ? account : real[index];
          const result = await unchanged(prediction, () => caller.run(DeleteRecipient, { id: recipient.id }));
          if (prediction.ok) {
            expect(result.errors, result.describe()).toBeUndefined();
            model.recipients.splice(at, 1);
          }
          break;
        }
        case 'deleteChannel': {
          const id = channelIds.get(command.slug);
          if (!model.channels.has(command.slug) || id === undefined) break;
          // SPEC: refused while a key that is not revoked is scoped to it (no key is ever revoked here).
          const inScope = model.keys.some((k) => k.scope.kind === 'CHANNELS' && k.scope.channels.has(command.slug));
          const prediction = inScope ? badInput : { ok: true as const };
          saw(`deleteChannel ${prediction.ok ? 'accepted' : 'refused'}`);
          const result = await unchanged(prediction, () => account.run(DeleteChannel, { id }));
          if (prediction.ok) {
            expect(result.errors, result.describe()).toBeUndefined();
            // The memberships go; past messages keep the channels they went to.
            model.channels.delete(command.slug);
            channelIds.delete(command.slug);
            for (const r of model.recipients) r.channels.delete(command.slug);
          }
          break;
        }
        case 'createKey': {
          const scope = scopeOf(model, command.scope);
          const name = `key-${model.keys.length}`;
          const prediction = scope ? { ok: true as const } : badInput;
          const result = await unchanged(prediction, () => account.run(CreateApiKey, { input: { name, scope: toInput(command.scope) } }));
          if (scope) {
            expect(result.errors, result.describe()).toBeUndefined();
            const created = (result.data as { createApiKey: { secret: string; apiKey: { id: string } } }).createApiKey;
            model.keys.push({ name, scope });
            real.push(new TestKey(herald, created.apiKey.id, name, created.secret));
            await checkChannelsVisibility(model, model.keys[model.keys.length - 1], real[real.length - 1]);
          }
          break;
        }
        case 'updateKey': {
          if (model.keys.length === 0) break;
          const index = command.key % model.keys.length;
          const key = model.keys[index];
          const scope = command.scope === null ? key.scope : scopeOf(model, command.scope);
          const name = command.rename ? `key-${index}-renamed-${renames}` : undefined;
          const prediction = scope ? { ok: true as const } : badInput;
          saw(`updateApiKey ${scope ? 'accepted' : 'refused'}`);
          const result = await unchanged(prediction, () =>
            account.run(UpdateApiKey, {
              input: { id: real[index].id, ...(name ? { name } : {}), ...(command.scope ? { scope: toInput(command.scope) } : {}) },
            }),
          );
          if (scope) {
            expect(result.errors, result.describe()).toBeUndefined();
            key.scope = scope;
            if (name) {
              key.name = name;
              renames += 1;
            }
          }
          // The very next request with the key sees the edit (or, refused, the old scope).
          await checkChannelsVisibility(model, key, real[index]);
          break;
        }
        case 'send': {
          if (model.keys.length === 0) break;
          const index = command.key % model.keys.length;
          const key = model.keys[index];
          const target = command.target && command.padFirst ? command.target.map((s, i) => (i === 0 ? `  ${s}\t` : s)) : command.target;
          const predicted = predictSend(model, key, target);
          const run = () =>
            real[index].run(Send, {
              input: { message: { title: `m${step}`, body: 'b' }, ...(target === null ? {} : { target: { channels: target } }) },
            });
          const rule = `${key.scope.kind} key, target ${target === null ? 'absent' : 'given'}`;
          if ('refused' in predicted) {
            saw(`send refused: ${rule}, ${predicted.refused.ok ? '' : predicted.refused.code}${target?.length === 0 ? ' (empty)' : ''}`);
            await unchanged(predicted.refused, run, key.name);
            break;
          }
          saw(`send accepted: ${rule}${predicted.reached.length > 0 ? '' : ' (nobody)'}`);
          const result = await run();
          expect(result.errors, result.describe()).toBeUndefined();
          const sent = result.data?.send.message;
          expect(
            { recipientCount: sent?.recipientCount, allRecipients: sent?.allRecipients, channels: sent?.channels.map((c) => c.slug) },
            result.describe(),
          ).toEqual({ recipientCount: predicted.reached.length, allRecipients: predicted.allRecipients, channels: predicted.channels });
          const deliveredTo = await herald.deliveredTo(sent?.id as string);
          expect(deliveredTo.sort(), 'the recipients reached').toEqual(predicted.reached);
          model.messages.push({ id: sent?.id as string, allRecipients: predicted.allRecipients, channels: new Set(predicted.channels) });
          break;
        }
      }
    } catch (error) {
      const model_ = {
        channels: [...model.channels],
        recipients: model.recipients.map((r) => `${r.externalId}:[${[...r.channels]}]`),
        keys: model.keys.map((k) => `${k.name}:${k.scope.kind === 'ALL' ? 'ALL' : `[${[...k.scope.channels]}]`}`),
      };
      throw new Error(`${at}\nmodel: ${JSON.stringify(model_)}\n${(error as Error).message}`);
    }
  }

  // At the end: what every key, and the member, may see.
  for (const [index, key] of model.keys.entries()) {
    await checkChannelsVisibility(model, key, real[index]);
    await checkMessagesVisibility(model, key, real[index]);
    await checkRecipientsVisibility(model, key, real[index]);
  }
  await checkMessagesVisibility(model, null, account);
  await checkRecipientsVisibility(model, null, account);
}

// ---------------------------------------------------------------------------

const RUNS = Number(process.env.SCOPE_FUZZ_RUNS ?? 60);
const SEED = process.env.SCOPE_FUZZ_SEED === undefined ? undefined : Number(process.env.SCOPE_FUZZ_SEED);

describe('scope fuzzing: the server agrees with a model of the spec on every step', () => {
  test('random sequences of channels, recipients, keys, scope edits and sends', { timeout: 300_000 }, async ({ herald }) => {
    await fc.assert(
      fc.asyncProperty(sequenceArb, (commands) => runSequence(herald, commands)),
      { numRuns: RUNS, seed: SEED, interruptAfterTimeLimit: 240_000, markInterruptAsFailure: false },
    );
    if (process.env.SCOPE_FUZZ_STATS) console.log(Object.fromEntries([...coverage].sort()));
    // Every rule was exercised, accepting and refusing (with the default number of runs).
    if (RUNS >= 50) {
      for (const rule of [
        'send accepted: ALL key, target absent',
        'send accepted: ALL key, target given',
        'send accepted: CHANNELS key, target absent',
        'send accepted: CHANNELS key, target given',
        'send refused: CHANNELS key, target given, FORBIDDEN',
        'send refused: ALL key, target given, BAD_USER_INPUT',
        'send refused: CHANNELS key, target given, BAD_USER_INPUT (empty)',
        'send refused: ALL key, target given, BAD_USER_INPUT (empty)',
        'key creates a recipient: CHANNELS key, FORBIDDEN',
        'key creates a recipient: CHANNELS key, accepted',
        'updateApiKey accepted',
        'updateApiKey refused',
        'updateRecipient: CHANNELS key, accepted',
        'updateRecipient: CHANNELS key, FORBIDDEN',
        'deleteRecipient: CHANNELS key, FORBIDDEN',
        'deleteChannel accepted',
        'deleteChannel refused',
      ]) {
        expect(coverage.get(rule) ?? 0, `${rule}: ${JSON.stringify(Object.fromEntries(coverage))}`).toBeGreaterThan(0);
      }
    }
  });

  test('a fixed sequence through all four rules (the model is not vacuous)', async ({ herald }) => {
    const commands: Command[] = [
      { kind: 'createChannel', slug: 'alpha' },
      { kind: 'createChannel', slug: 'beta' },
      { kind: 'createRecipient', channels: ['alpha'] },
      { kind: 'createRecipient', channels: ['alpha', 'beta'] },
      { kind: 'createRecipient', channels: [] },
      { kind: 'createKey', scope: { kind: 'ALL' } },
      { kind: 'createKey', scope: { kind: 'CHANNELS', channels: ['alpha'] } },
      { kind: 'send', key: 0, target: null, padFirst: false }, // ALL, absent: 3
      { kind: 'send', key: 0, target: ['beta'], padFirst: true }, // ALL, given: 1
      { kind: 'send', key: 1, target: null, padFirst: false }, // CHANNELS, absent: 2
      { kind: 'send', key: 1, target: ['alpha', 'alpha'], padFirst: true }, // CHANNELS, given within: 2
      { kind: 'send', key: 1, target: ['alpha', 'beta', GHOST], padFirst: false }, // 403 naming beta, ghost
      { kind: 'send', key: 0, target: [GHOST], padFirst: false }, // ALL, unknown: 400
      { kind: 'send', key: 0, target: [], padFirst: false }, // empty: 400
      { kind: 'keyCreatesRecipient', key: 1, channels: [] }, // CHANNELS key, no channel: 403
      { kind: 'keyCreatesRecipient', key: 1, channels: ['alpha'] },
      { kind: 'updateKey', key: 1, scope: { kind: 'CHANNELS', channels: ['beta'] }, rename: true },
      { kind: 'send', key: 1, target: ['alpha'], padFirst: false }, // 403 after the edit
      { kind: 'updateKey', key: 1, scope: { kind: 'ALL', channels: ['beta'] }, rename: false }, // 400, unchanged
      { kind: 'send', key: 1, target: null, padFirst: false }, // beta: 1
      { kind: 'editRecipient', by: 1, recipient: 1, channels: [], ownOnly: false }, // r1 [alpha, beta] → [alpha]: the key holds beta now
      { kind: 'editRecipient', by: 1, recipient: 0, channels: ['beta'], ownOnly: false }, // r0 [alpha]: out of the key's reach, 403
      { kind: 'editRecipient', by: null, recipient: 0, channels: ['alpha', 'beta'], ownOnly: false },
      { kind: 'deleteChannel', slug: 'beta' }, // the key is scoped to beta: 400
      { kind: 'updateKey', key: 1, scope: { kind: 'CHANNELS', channels: ['alpha'] }, rename: false },
      { kind: 'deleteChannel', slug: 'beta' }, // now allowed; the messages that went to beta keep it
      { kind: 'deleteRecipient', by: 1, recipient: 2 }, // a CHANNELS key: 403
      { kind: 'deleteRecipient', by: 0, recipient: 2 },
    ];
    await runSequence(herald, commands);
  });
});
