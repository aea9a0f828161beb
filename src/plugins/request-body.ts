import type { Plugin } from 'graphql-yoga';

export const MAX_BODY_BYTES = 1_048_576;

const refusal = (status: number, message: string) =>
  new Response(JSON.stringify({ errors: [{ message }] }), { status, headers: { 'content-type': 'application/json' } });

/** JSON only: forms, multipart and text/plain (what a cross-site form can send) are refused. */
const isJson = (contentType: string | null) => /^application\/json\s*(;|$)/i.test(contentType ?? '');

/** Bodies that are not JSON get 415; bodies over 1 MiB get 413 before they are parsed, with or without a Content-Length. */
export function useRequestBody(limit: number): Plugin {
  const tooLarge = () =>
    new Response(JSON.stringify({ errors: [{ message: `The request body is over ${limit} bytes.` }] }), {
      status: 413,
      headers: { 'content-type': 'application/json' },
    });
  return {
    async onRequest({ request, setRequest, endResponse }) {
      if (!request.body) return;
      if (request.method === 'POST' && !isJson(request.headers.get('content-type'))) {
        return endResponse(refusal(415, 'Content-Type must be application/json.'));
      }
      const declared = request.headers.get('content-length');
      if (declared !== null) {
        if (Number(declared) > limit) endResponse(tooLarge());
        return;
      }
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > limit) return endResponse(tooLarge());
        chunks.push(chunk);
      }
      setRequest(new Request(request.url, { method: request.method, headers: request.headers, body: Buffer.concat(chunks) }));
    },
  };
}
