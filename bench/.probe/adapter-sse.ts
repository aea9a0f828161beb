import { createServer } from 'node:http';
import { createServerAdapter } from '@whatwg-node/server';

const adapter = createServerAdapter(async (request: Request) => {
  await request.text();
  if (!request.headers.get('accept')?.includes('event-stream')) return new Response('{}');
  const enc = new TextEncoder();
  let t: NodeJS.Timeout;
  const stream = new ReadableStream({
    start(c) {
      c.enqueue(enc.encode(':\n\n'));
      t = setInterval(() => c.enqueue(enc.encode(':\n\n')), 12000);
    },
    cancel() {
      clearInterval(t);
    },
  });
  return new Response(stream, { headers: { 'content-type': 'text/event-stream' } });
});
createServer(adapter).listen(Number(process.env.PORT), '127.0.0.1');
