import type { Plugin } from 'graphql-yoga';

export const MAX_BODY_BYTES = 1_048_576;

/** Bodies over 1 MiB get 413 before they are parsed, with or without a Content-Length. */
export function useBodyLimit(limit: number): Plugin {
  const tooLarge = () =>
    new Response(JSON.stringify({ errors: [{ message: `The request body is over ${limit} bytes.` }] }), {
      status: 413,
      headers: { 'content-type': 'application/json' },
    });
  return {
    async onRequest({ request, setRequest, endResponse }) {
      if (!request.body) return;
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
