import { createServer } from 'node:http';
import { createHandler } from 'graphql-sse/lib/use/http';
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
const handler = createHandler({ schema });
createServer((req, res) => {
  if (!req.headers.accept?.includes('event-stream')) {
    req.resume();
    req.on('end', () => res.end('{}'));
    return;
  }
  handler(req, res).catch(() => res.writeHead(500).end());
}).listen(Number(process.env.PORT), '127.0.0.1');
