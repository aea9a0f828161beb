// The Idempotency-Key header: checked well formed before anything else runs,
// fingerprinted with the request it came with, and answered with
// Idempotency-Replayed: true when send returned the first request's message.
// send itself (src/data/messages.ts) keeps the record with the message.
import { createHash } from 'node:crypto';
import { type DocumentNode, GraphQLError, getOperationAST, Kind, type SelectionSetNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { stateOf } from '../request-state.ts';

const WELL_FORMED = /^[\x20-\x7E]{1,255}$/;

const refusal = (message: string) =>
  new Response(JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_USER_INPUT', field: 'Idempotency-Key' } }] }), {
    status: 400,
    headers: { 'content-type': 'application/json' },
  });

/** How many root fields named `field` the operation runs (through fragments too). */
function rootFieldCount(document: DocumentNode, operationName: string | null | undefined, field: string): number {
  const operation = getOperationAST(document, operationName);
  const count = (set: SelectionSetNode, seen: Set<string>): number =>
    set.selections.reduce((n, selection) => {
      if (selection.kind === Kind.FIELD) return n + (selection.name.value === field ? 1 : 0);
      if (selection.kind === Kind.INLINE_FRAGMENT) return n + count(selection.selectionSet, seen);
      const name = selection.name.value;
      const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === name);
      if (!fragment || fragment.kind !== Kind.FRAGMENT_DEFINITION || seen.has(name)) return n;
      return n + count(fragment.selectionSet, new Set([...seen, name]));
    }, 0);
  return operation ? count(operation.selectionSet, new Set()) : 0;
}

/** Key order does not change a JSON object: the fingerprint sorts it. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
  );
}

export function useIdempotency(): Plugin {
  return {
    onRequest({ request, endResponse }) {
      const key = request.headers.get('idempotency-key');
      if (key === null) return;
      if (!WELL_FORMED.test(key)) {
        endResponse(refusal('Idempotency-Key must be 1 to 255 printable ASCII characters.'));
        return;
      }
      stateOf(request).idempotency = { key, fingerprint: '', replayed: false };
    },
    onParams({ params, request }) {
      const idempotency = stateOf(request).idempotency;
      if (!idempotency) return;
      const { query, operationName, variables } = params;
      idempotency.fingerprint = createHash('sha256')
        .update(JSON.stringify(canonical({ query, operationName: operationName ?? null, variables: variables ?? {} })))
        .digest('hex');
    },
    onExecute({ args, setResultAndStopExecution }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (!request || !stateOf(request).idempotency || rootFieldCount(args.document, args.operationName, 'send') <= 1) return;
      setResultAndStopExecution({
        errors: [
          new GraphQLError('An Idempotency-Key covers one send: make one send per request.', {
            extensions: { code: 'BAD_USER_INPUT', field: 'Idempotency-Key', http: { status: 400 } },
          }),
        ],
      });
    },
    onResponse({ request, response }) {
      if (stateOf(request).idempotency?.replayed) response.headers.set('Idempotency-Replayed', 'true');
    },
  };
}
