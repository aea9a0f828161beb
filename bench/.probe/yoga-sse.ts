import { createServer } from 'node:http';
import { createSchema, createYoga, Repeater } from 'graphql-yoga';

const yoga = createYoga({
  schema: createSchema({
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
  }),
  logging: false,
});
createServer(yoga).listen(Number(process.env.PORT), '127.0.0.1');
const { createServer: _c } = await import('node:http');
