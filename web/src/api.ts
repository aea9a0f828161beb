// A tiny typed GraphQL client: the codegen's typed document strings over fetch.
import type { TypedDocumentString } from './generated/graphql.ts';

export interface ServerError {
  message: string;
  /** extensions.field: the input the error is about ("name", "scope.channels", …). */
  field?: string;
  code?: string;
}

/** The server refused the operation: its errors, in its words. */
export class RequestError extends Error {
  constructor(
    readonly errors: ServerError[],
    readonly status: number,
  ) {
    super(errors.map((e) => e.message).join(' '));
    this.name = 'RequestError';
  }

  get unauthenticated(): boolean {
    return this.status === 401 || this.errors.some((e) => e.code === 'UNAUTHENTICATED');
  }

  /** Errors by field; those without one under "". */
  byField(): Record<string, string> {
    const fields: Record<string, string> = {};
    for (const error of this.errors) {
      const key = error.field ?? '';
      fields[key] = fields[key] ? `${fields[key]} ${error.message}` : error.message;
    }
    return fields;
  }
}

const TOKEN_KEY = 'herald.memberToken';

export const session = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/**
 * The request's operation: a trusted document by its hash (its text is in the server's
 * manifest, built with this page: src/plugins/trusted-documents.ts), or else its text.
 */
function operation<TResult, TVariables>(document: TypedDocumentString<TResult, TVariables>, variables: TVariables | undefined) {
  const hash = document.__meta__?.hash;
  if (typeof hash !== 'string') return { query: document.toString(), variables };
  // The operation's name travels with the hash: logs, metrics and devtools can say what ran.
  const operationName = /^\s*(?:query|mutation|subscription)\s+(\w+)/.exec(document.toString())?.[1];
  return { documentId: hash, operationName, variables };
}

/** A query or mutation, with the member's token, or with `token` (the Inbox preview's recipient token). */
export async function request<TResult, TVariables>(
  document: TypedDocumentString<TResult, TVariables>,
  variables?: TVariables,
  token = session.get(),
): Promise<TResult> {
  let response: Response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(operation(document, variables)),
    });
  } catch {
    throw new RequestError([{ message: 'Herald cannot be reached: check your connection and try again.' }], 0);
  }
  return resultOf<TResult>((await response.json().catch(() => null)) as GraphQLResult<TResult> | null, response.status);
}

export interface GraphQLResult<TResult> {
  data?: TResult | null;
  errors?: { message: string; extensions?: { field?: string; code?: string } }[];
}

/** A GraphQL response's data, or its errors thrown as a RequestError (also for each result of a stream). */
export function resultOf<TResult>(body: GraphQLResult<TResult> | null, status: number): TResult {
  if (body?.errors?.length) {
    throw new RequestError(
      body.errors.map((e) => ({ message: e.message, field: e.extensions?.field, code: e.extensions?.code })),
      status,
    );
  }
  if (!body?.data) throw new RequestError([{ message: `Unexpected answer from Herald (HTTP ${status}).` }], status);
  return body.data;
}
