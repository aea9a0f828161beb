import { createServer } from 'node:http';
import { parse, subscribe } from 'graphql';
import { createSchema, Repeater } from 'graphql-yoga';

const schema = createSchema({
  typeDefs: 'type Query { a: Int } type Subscription { inbox: Int }',
  resolvers: {
    Subscription: {
      inbox: {
        subscribe: () =>
          new Repeater(async (_push, stop) => {
            await stop;
          }),
        resolve: (x: number) => x,
      },
    },
  },
});
const streams = new Set<import('node:http').ServerResponse>();
setInterval(() => {
  for (const res of streams) res.write(':\n\n');
}, 12000).unref();
createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    if (req.url === '/mem') {
      res.end(JSON.stringify(process.memoryUsage()));
      return;
    }
    if (!req.headers.accept?.includes('event-stream')) {
      res.end('{}');
      return;
    }
    const { query } = JSON.parse(Buffer.concat(chunks).toString());
    const result = await subscribe({ schema, document: parse(query) });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(':\n\n');
    streams.add(res);
    res.on('close', () => {
      streams.delete(res);
      (result as AsyncIterator<unknown>).return?.();
    });
    for await (const event of result as AsyncIterable<unknown>) res.write(`event: next\ndata: ${JSON.stringify(event)}\n\n`);
    res.end('event: complete\ndata:\n\n');
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
