// The access middleware: a Pothos plugin that wraps every root field with the
// caller check its `access` option names, and applies the key's scope through
// the pure rules. It is the one place a refusal becomes an error; a root field
// without `access` fails the schema build, so nothing is open by accident.
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
import type { ApiKeyCaller, Caller, MemberCaller } from '../auth/caller.ts';
import { BadUserInputError, ForbiddenError, UnauthenticatedError } from '../errors.ts';
import { listForMessage } from '../validation.ts';
import { checkSubscription, type Refusal, resolveTarget, type Target } from './rules.ts';

/**
 * - `member`: members of the account only;
 * - `caller`: any authenticated caller (what a key sees is narrowed by the data filters in ./visibility.ts);
 * - `send`: API keys only; the requested slugs are resolved against the key's scope;
 * - `subscribe`: any caller; a key may only name its own channels.
 */
export type Access<Args> =
  | 'member'
  | 'caller'
  | { send: (args: Args) => readonly string[] | null | undefined }
  | { subscribe: (args: Args) => readonly string[] };

/** Where the middleware leaves the target it resolved for a `send` field: the request's context. */
interface SendTargets {
  sendTargets: Map<string | number, Target>;
}

/** The target the middleware resolved for this `send` field (by its response key: aliases are separate sends). */
export function resolvedTarget(context: SendTargets, info: Pick<GraphQLResolveInfo, 'path'>): Target {
  const target = context.sendTargets.get(info.path.key);
  if (!target) throw new Error('resolvedTarget: the field has no `send` access rule');
  return target;
}

/** The caller of a field whose access rule admits keys only. */
export function keyCaller(context: { caller: Caller }): ApiKeyCaller {
  if (context.caller.kind !== 'key') throw new Error('keyCaller: the field admits API keys only');
  return context.caller;
}

/** The caller of a field whose access rule admits members only. */
export function memberCaller(context: { caller: Caller }): MemberCaller {
  if (context.caller.kind !== 'member') throw new Error('memberCaller: the field admits members only');
  return context.caller;
}

/** The caller of a field open to members and keys. */
export function accountCaller(context: { caller: Caller }): MemberCaller | ApiKeyCaller {
  if (context.caller.kind === 'anonymous') throw new Error('accountCaller: the field admits authenticated callers only');
  return context.caller;
}

function refusalError(key: ApiKeyCaller['key'], refusal: Refusal, verb: string): Error {
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
  }
}

export class AccessPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override onOutputFieldConfig(fieldConfig: PothosOutputFieldConfig<Types>): PothosOutputFieldConfig<Types> {
    const root = fieldConfig.kind === 'Query' || fieldConfig.kind === 'Mutation' || fieldConfig.kind === 'Subscription';
    if (root && !fieldConfig.pothosOptions.access) {
      throw new PothosSchemaError(`${fieldConfig.parentType}.${fieldConfig.name} has no access rule`);
    }
    return fieldConfig;
  }

  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    const access = fieldConfig.pothosOptions.access as Access<object> | undefined;
    if (!access) return resolver;
    const field = fieldConfig.name;
    return (parent, args, context, info) => {
      const { caller } = context as { caller: Caller };
      if (caller.kind === 'anonymous') throw new UnauthenticatedError();
      if (access === 'caller') return resolver(parent, args, context, info);
      if (access === 'member') {
        if (caller.kind !== 'member') throw new ForbiddenError(`API keys cannot use ${field}: it is for members of the account.`);
        return resolver(parent, args, context, info);
      }
      if ('send' in access) {
        if (caller.kind !== 'key') throw new ForbiddenError(`${field} needs an API key: members manage the account, API keys send.`);
        const decision = resolveTarget(caller.key.scope, access.send(args));
        if (!decision.ok) throw refusalError(caller.key, decision, 'target');
        (context as SendTargets).sendTargets.set(info.path.key, decision.target);
        return resolver(parent, args, context, info);
      }
      if (caller.kind === 'key') {
        const decision = checkSubscription(caller.key.scope, access.subscribe(args));
        if (!decision.ok) throw refusalError(caller.key, decision, 'subscribe recipients to');
      }
      return resolver(parent, args, context, info);
    };
  }
}

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
