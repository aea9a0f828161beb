// Builds the API Keys page into web/dist: index.html plus content-hashed assets
// under dist/assets (served with a year of immutable caching). Run by postinstall.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = import.meta.dirname;
const dist = resolve(root, 'dist');

await rm(dist, { recursive: true, force: true });
await mkdir(join(dist, 'assets'), { recursive: true });

const result = await build({
  entryPoints: [join(root, 'src/main.tsx'), join(root, 'src/styles.css')],
  outdir: join(dist, 'assets'),
  entryNames: '[name]-[hash]',
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome111', 'firefox115', 'safari16.4'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs);
const script = outputs.find((file) => file.endsWith('.js'));
const style = outputs.find((file) => file.endsWith('.css'));
if (!script || !style) throw new Error(`web build: expected one .js and one .css, got ${outputs.join(', ')}`);

const template = await readFile(join(root, 'index.html'), 'utf8');
const html = template
  .replace('<!-- styles -->', `<link rel="stylesheet" href="/assets/${basename(style)}">`)
  .replace('<!-- script -->', `<script type="module" src="/assets/${basename(script)}"></script>`);
await writeFile(join(dist, 'index.html'), html);

const sizes = await Promise.all(
  [join(dist, 'index.html'), resolve(script), resolve(style)].map(async (file) => {
    const bytes = await readFile(file);
    return { file: basename(file), raw: bytes.length, gzip: gzipSync(bytes).length };
  }),
);
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
for (const { file, raw, gzip } of sizes)
  console.log(`web/dist: ${file.padEnd(28)} ${kb(raw).padStart(9)} raw ${kb(gzip).padStart(9)} gzip`);
const total = sizes.reduce((sum, s) => ({ raw: sum.raw + s.raw, gzip: sum.gzip + s.gzip }), { raw: 0, gzip: 0 });
console.log(`web/dist: ${'total'.padEnd(28)} ${kb(total.raw).padStart(9)} raw ${kb(total.gzip).padStart(9)} gzip`);
