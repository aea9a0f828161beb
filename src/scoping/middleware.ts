// The access middleware: a Pothos plugin that wraps every root field (its
// resolver, and for a subscription the function that opens its stream, so that
// a refusal comes before any stream) with the caller check its `access` option
// names, and applies a key's scope through the pure rules. It is the one place
// a refusal becomes an error; a root field without `access` fails the schema
// build, so nothing is open by accident.
import SchemaBuilder, {
  BasePlugin,
  type FieldNullability,
  type InputFieldMap,
  type InputShapeFromFields,
  type PothosOutputFieldConfig,
  PothosSchemaError,
  type SchemaTypes,
  type TypeParam,
} from '@pothos/core';
import type { GraphQLFieldResolver, GraphQLResolveInfo } from 'graphql';
import { isAblated } from '../ablation.ts';
import type { AccountCaller, ApiKeyCaller, Caller, MemberCaller, RecipientCaller } from '../auth/caller.ts';
import { BadUserInputError, ForbiddenError, NotFoundError, UnauthenticatedError } from '../errors.ts';
import { listForMessage } from '../validation.ts';
import {
  checkChannelFilter,
  checkEnrolment,
  checkImport,
  checkRecipientAccess,
  normalizeSlugs,
  type Refusal,
  resolveTarget,
  type Target,
} from './rules.ts';

/** A recipient a field names, as the middleware loads it to check a key's scope. */
export interface RecipientRef {
  id: string;
  externalId: string;
  /** Its channels' slugs, sorted. */
  channels: string[];
}

/** How a field names the recipient it acts on. */
export type RecipientLookup = { externalId: string } | { id: string };

/**
 * - `member`: members of the account only;
 * - `account`: members and API keys (what a key sees is narrowed by the data filters in ./visibility.ts);
 * - `read`: as `account`, for a read narrowed to the channels it names: a CHANNELS key may name only its own;
 * - `inbox`: recipient tokens only (a recipient's own inbox);
 * - `send`: API keys only; the requested slugs are resolved against the key's scope;
 * - `enrol`: members and keys; a key may only enrol a new recipient in its own channels;
 * - `import`: members and keys, rows by externalId: a key may change only the recipients it reaches (as
 *   `recipient` with `channels`) and create others only as `enrol` allows; a refused row is named by its index;
 * - `recipient`: members and keys, about an existing recipient: a key must reach it (one of its
 *   channels), may replace only its own channels (`channels`), and with `allKeysOnly` must be an ALL key.
 */
export type Access<Args> =
  | 'member'
  | 'account'
  | 'inbox'
  | { send: (args: Args) => readonly string[] | null | undefined }
  | { read: (args: Args) => readonly string[] }
  | { enrol: (args: Args) => readonly string[] }
  | { import: (args: Args) => readonly ImportRequestRow[] }
  | {
      recipient: (args: Args) => RecipientLookup;
      channels?: (args: Args) => readonly string[];
      allKeysOnly?: boolean;
    };

/** A row of a bulk import as a field names it. */
export interface ImportRequestRow {
  externalId: string;
  channels: readonly string[];
}

/** What the middleware resolved for one root field, by its response key (aliases are separate fields). */
export type Resolution =
  | { kind: 'target'; target: Target }
  | { kind: 'recipient'; recipient: RecipientRef; channels?: string[] }
  /** Of each existing recipient's channels, the import replaces those `within` (null: all of them). */
  | { kind: 'import'; within: string[] | null };

/** Where the middleware leaves what it resolved, and how it loads a recipient: the request's context. */
export interface AccessContext {
  caller: Caller;
  resolved: Map<string | number, Resolution>;
  loadRecipient(lookup: RecipientLookup): Promise<RecipientRef | null>;
}

function resolution<K extends Resolution['kind']>(
  context: Pick<AccessContext, 'resolved'>,
  info: Pick<GraphQLResolveInfo, 'path'>,
  kind: K,
): Extract<Resolution, { kind: K }> {
  const found = context.resolved.get(info.path.key);
  if (found?.kind !== kind) throw new Error(`the field has no \`${kind}\` access rule`);
  return found as Extract<Resolution, { kind: K }>;
}

/** The target the middleware resolved for this `send` field. */
export function resolvedTarget(context: Pick<AccessContext, 'resolved'>, info: Pick<GraphQLResolveInfo, 'path'>): Target {
  return resolution(context, info, 'target').target;
}

/** Which of an existing recipient's channels this import replaces: null, all of them; a CHANNELS key's, its own. */
export function resolvedImport(context: Pick<AccessContext, 'resolved'>, info: Pick<GraphQLResolveInfo, 'path'>): string[] | null {
  return resolution(context, info, 'import').within;
}

/** The recipient the middleware found for this `recipient` field, and its channels after the change (when the rule names channels). */
export function resolvedRecipient(
  context: Pick<AccessContext, 'resolved'>,
  info: Pick<GraphQLResolveInfo, 'path'>,
): { recipient: RecipientRef; channels?: string[] } {
  return resolution(context, info, 'recipient');
}

function callerOf<K extends Caller['kind']>(context: { caller: Caller }, ...kinds: K[]): Extract<Caller, { kind: K }> {
  if (!kinds.includes(context.caller.kind as K)) throw new Error(`the field admits ${kinds.join(' and ')} callers only`);
  return context.caller as Extract<Caller, { kind: K }>;
}

/** The caller of a field whose access rule admits keys only. */
export const keyCaller = (context: { caller: Caller }): ApiKeyCaller => callerOf(context, 'key');
/** The caller of a field whose access rule admits members only. */
export const memberCaller = (context: { caller: Caller }): MemberCaller => callerOf(context, 'member');
/** The caller of a field open to members and keys. */
export const accountCaller = (context: { caller: Caller }): AccountCaller => callerOf(context, 'member', 'key');
/** The caller of an inbox field: a recipient token. */
export const recipientCaller = (context: { caller: Caller }): RecipientCaller => callerOf(context, 'recipient');

function refusalError(key: ApiKeyCaller['key'], refusal: Refusal, verb: string, recipient?: Pick<RecipientRef, 'externalId'>): Error {
  switch (refusal.reason) {
    case 'EMPTY_TARGET':
      return new BadUserInputError(
        'target.channels is empty, so it targets no one: leave it out to send to the whole scope of the key.',
        'target.channels',
      );
    case 'NO_CHANNEL':
      return new ForbiddenError(`API key "${key.name}" is channel scoped: a recipient it creates needs at least one of its channels.`);
    case 'OUTSIDE_SCOPE':
      return new ForbiddenError(`API key "${key.name}" may not ${verb} channels: ${listForMessage(refusal.slugs)}`);
    case 'RECIPIENT_OUTSIDE_SCOPE':
      return new ForbiddenError(
        `API key "${key.name}" may not reach recipient ${JSON.stringify(recipient?.externalId ?? '')}: it is in none of the key's channels.`,
      );
    case 'ALL_KEYS_ONLY':
      return new ForbiddenError(`API key "${key.name}" is channel scoped: only members and All Recipients keys may do this.`);
  }
}

const INBOX_ONLY = (field: string) =>
  new ForbiddenError(`A recipient token may read and mark its own inbox only: ${field} is for members and API keys.`);

/**
 * Checks the caller against the field's rule and records what it resolved;
 * throws the refusal. Only a `recipient` rule waits (it loads the recipient):
 * every other rule decides at once, so most fields pay no promise for their check.
 */
function admit(access: Access<object>, field: string, args: object, context: AccessContext, key: string | number): void | Promise<void> {
  const { caller } = context;
  if (caller.kind === 'anonymous') throw new UnauthenticatedError();
  if (access === 'inbox') {
    if (caller.kind !== 'recipient')
      throw new ForbiddenError(`${field} is a recipient's own inbox: use a recipient token (createRecipientToken).`);
    return;
  }
  if (caller.kind === 'recipient') throw INBOX_ONLY(field);
  if (access === 'account') return;
  if (access === 'member') {
    if (caller.kind !== 'member') throw new ForbiddenError(`API keys cannot use ${field}: it is for members of the account.`);
    return;
  }
  if ('send' in access) {
    if (caller.kind !== 'key') throw new ForbiddenError(`${field} needs an API key: members manage the account, API keys send.`);
    const decision = resolveTarget(caller.key.scope, access.send(args));
    if (!decision.ok) throw refusalError(caller.key, decision, 'target');
    context.resolved.set(key, { kind: 'target', target: decision.target });
    return;
  }
  if ('read' in access) {
    if (caller.kind !== 'key') return;
    const decision = checkChannelFilter(caller.key.scope, access.read(args));
    if (!decision.ok) throw refusalError(caller.key, decision, 'read');
    return;
  }
  if ('enrol' in access) {
    if (caller.kind !== 'key') return;
    const decision = checkEnrolment(caller.key.scope, access.enrol(args));
    if (!decision.ok) throw refusalError(caller.key, decision, 'subscribe recipients to');
    return;
  }
  if ('import' in access) return admitImport(access.import(args), context, key);
  const lookup = access.recipient(args);
  const channels = access.channels?.(args);
  return context.loadRecipient(lookup).then((recipient) => {
    if (!recipient) throw new NotFoundError('Recipient', 'externalId' in lookup ? lookup.externalId : lookup.id);
    if (caller.kind === 'member') {
      context.resolved.set(key, { kind: 'recipient', recipient, channels: channels && normalizeSlugs(channels) });
      return;
    }
    const decision = checkRecipientAccess(caller.key.scope, recipient.channels, { channels, allKeysOnly: access.allKeysOnly });
    if (!decision.ok) throw refusalError(caller.key, decision, 'change recipients in', recipient);
    context.resolved.set(key, { kind: 'recipient', recipient, channels: decision.channels });
  });
}

/**
 * A bulk import: a member or an ALL key may write any row (the data rules refuse bad ones); a
 * CHANNELS key's rows are checked against the recipients they name, loaded in one batch.
 */
function admitImport(rows: readonly ImportRequestRow[], context: AccessContext, key: string | number): void | Promise<void> {
  const { caller } = context;
  if (caller.kind !== 'key' || caller.key.scope.kind === 'ALL') {
    context.resolved.set(key, { kind: 'import', within: null });
    return;
  }
  const scoped = caller.key;
  // An externalId is stored trimmed: the row names the recipient its trimmed value names.
  const externalIds = rows.map((row) => row.externalId.trim());
  return Promise.all(externalIds.map((externalId) => context.loadRecipient({ externalId }))).then((found) => {
    const decision = checkImport(
      scoped.scope,
      rows.map((row, i) => ({ channels: row.channels, existing: found[i]?.channels ?? null })),
    );
    if (!decision.ok) {
      const { index } = decision;
      const error = refusalError(scoped, decision, 'subscribe recipients to', { externalId: externalIds[index] });
      const field = decision.reason === 'RECIPIENT_OUTSIDE_SCOPE' ? 'externalId' : 'channels';
      throw new ForbiddenError(`recipients[${index}].${field}: ${error.message}`);
    }
    context.resolved.set(key, { kind: 'import', within: decision.within });
  });
}

type Resolver<Types extends SchemaTypes> = GraphQLFieldResolver<unknown, Types['Context'], object>;

export class AccessPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override onOutputFieldConfig(fieldConfig: PothosOutputFieldConfig<Types>): PothosOutputFieldConfig<Types> {
    const root = fieldConfig.kind === 'Query' || fieldConfig.kind === 'Mutation' || fieldConfig.kind === 'Subscription';
    if (root && !fieldConfig.pothosOptions.access) {
      throw new PothosSchemaError(`${fieldConfig.parentType}.${fieldConfig.name} has no access rule`);
    }
    return fieldConfig;
  }

  /** A subscription's rule runs when it subscribes (before its stream opens), not per event. */
  override wrapResolve(resolver: Resolver<Types>, fieldConfig: PothosOutputFieldConfig<Types>): Resolver<Types> {
    if (fieldConfig.kind === 'Subscription') return resolver;
    return this.guard(resolver, fieldConfig);
  }

  override wrapSubscribe(subscribe: Resolver<Types> | undefined, fieldConfig: PothosOutputFieldConfig<Types>): Resolver<Types> | undefined {
    return subscribe && this.guard(subscribe, fieldConfig);
  }

  private guard(resolver: Resolver<Types>, fieldConfig: PothosOutputFieldConfig<Types>): Resolver<Types> {
    const access = fieldConfig.pothosOptions.access as Access<object> | undefined;
    if (!access) return resolver;
    const field = fieldConfig.name;
    if (withoutChecks) return this.unchecked(resolver, access);
    return (parent, args, context, info) => {
      const pending = admit(access, field, args, context as AccessContext, info.path.key);
      return pending ? pending.then(() => resolver(parent, args, context, info)) : resolver(parent, args, context, info);
    };
  }

  /** The bench's ablation (src/ablation.ts): no caller check, only the target send needs resolved. */
  private unchecked(resolver: Resolver<Types>, access: Access<object>): Resolver<Types> {
    if (typeof access !== 'object' || !('send' in access)) return resolver;
    return (parent, args, context, info) => {
      const { caller, resolved } = context as AccessContext;
      const decision = resolveTarget((caller as ApiKeyCaller).key.scope, access.send(args));
      if (decision.ok) resolved.set(info.path.key, { kind: 'target', target: decision.target });
      return resolver(parent, args, context, info);
    };
  }
}

/** Off only in the bench's ablation table. */
const withoutChecks = isAblated('access');

SchemaBuilder.registerPlugin('access', AccessPlugin);

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      access: AccessPlugin<Types>;
    }
    export interface FieldOptions<
      Types extends SchemaTypes = SchemaTypes,
      ParentShape = unknown,
      Type extends TypeParam<Types> = TypeParam<Types>,
      Nullable extends FieldNullability<Type> = FieldNullability<Type>,
      Args extends InputFieldMap = InputFieldMap,
      ResolveShape = unknown,
      ResolveReturnShape = unknown,
    > {
      /** Who may call this field, and how an API key's scope applies (see src/scoping). */
      access?: Access<InputShapeFromFields<Args>>;
    }
  }
}
