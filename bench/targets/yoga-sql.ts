// Stock graphql-yoga running the floor's SQL: an SDL schema, the key looked up
// in the context, the scope checked in the resolver, then the floor's send
// statement. What GraphQL itself costs on this work, with none of Herald's
// features: Herald's send is measured against it (send_postgres_vs_yoga_sql).
import { createServer } from 'node:http';
import { GraphQLError } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { type FloorKey, findKey, query, SEND, sendValues } from './floor.ts';

interface SendArgs {
  input: { target: { channels: string[] }; message: { title: string; body: string; data?: unknown } };
}

const typeDefs = /* GraphQL */ `
  scalar JSONObject
  type Query { hello: String }
  input SendTargetInput { channels: [String!] }
  input MessageInput { title: String! body: String! data: JSONObject }
  input SendInput { target: SendTargetInput message: MessageInput! }
  type Message { id: ID! recipientCount: Int! }
  type SendPayload { message: Message! }
  type Mutation { send(input: SendInput!): SendPayload! }
`;

const refuse = (message: string, code: string, status: number) => new GraphQLError(message, { extensions: { code, http: { status } } });

const yoga = createYoga<{ key: FloorKey | null }>({
  schema: createSchema<{ key: FloorKey | null }>({
    typeDefs,
    resolvers: {
      Query: { hello: () => 'world' },
      Mutation: {
        async send(_parent, { input }: SendArgs, { key }) {
          if (!key) throw refuse('The API key is invalid.', 'UNAUTHENTICATED', 401);
          const values = sendValues(key, input.target.channels, input.message);
          if (!values) throw refuse('The key may not send to these channels.', 'FORBIDDEN', 403);
          const { rows } = await query<{ id: string; recipientCount: number }>({ ...SEND, values });
          return { message: rows[0] };
        },
      },
    },
  }),
  async context({ request }) {
    const authorization = request.headers.get('authorization');
    if (!authorization) return { key: null };
    const key = await findKey(authorization);
    if (!key) throw refuse('The API key is invalid.', 'UNAUTHENTICATED', 401);
    return { key };
  },
});

createServer(yoga).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
