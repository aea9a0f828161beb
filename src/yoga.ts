import { useDisableIntrospection } from '@graphql-yoga/plugin-disable-introspection';
import { createYoga, type Plugin } from 'graphql-yoga';
import { createAuthenticator } from './auth/index.ts';
import { createMemberTokenVerifier } from './auth/jwt.ts';
import type { Config } from './config.ts';
import { type Context, createContextFactory } from './context.ts';
import type { Database } from './db/index.ts';
import { WALKTHROUGH } from './graphiql.ts';
import { createLogger, type Logger, yogaLogger } from './logger.ts';
import { schema } from './schema/index.ts';

export const MAX_BODY_BYTES = 1_048_576;

/** Bodies over 1 MiB get 413 before they are parsed, with or without a Content-Length. */
function bodyLimit(limit: number): Plugin {
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

export interface HeraldOptions {
  config: Config;
  db: Database;
  logger?: Logger;
}

export async function createHerald({ config, db, logger = createLogger(config.logLevel) }: HeraldOptions) {
  const authenticate = createAuthenticator(db.prisma, await createMemberTokenVerifier(config));
  return createYoga<object, Context>({
    schema,
    context: createContextFactory(db.prisma, authenticate),
    graphqlEndpoint: '/graphql',
    graphiql: config.graphiql ? { title: 'Herald', defaultQuery: WALKTHROUGH } : false,
    landingPage: false,
    logging: yogaLogger(logger),
    plugins: [bodyLimit(MAX_BODY_BYTES), ...(config.introspection ? [] : [useDisableIntrospection()])],
  });
}

export type Herald = Awaited<ReturnType<typeof createHerald>>;
