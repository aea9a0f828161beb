import { randomUUID } from 'node:crypto';

const INCOMING_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const ids = new WeakMap<Request, string>();

/** The request's id: an incoming x-request-id when it is sane, or a generated UUID; the same on every call. */
export function requestIdOf(request: Request): string {
  let id = ids.get(request);
  if (!id) {
    const incoming = request.headers.get('x-request-id');
    id = incoming && INCOMING_ID.test(incoming) ? incoming : randomUUID();
    ids.set(request, id);
  }
  return id;
}
