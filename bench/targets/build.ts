// The bench's own servers, built as Herald's production build is (scripts/build.ts):
// each target bundled into one file under bench/.build and run by plain `node`,
// with pg loaded from node_modules. A floor then pays neither a TypeScript loader
// nor a thousand module loads that Herald's build does not pay either.
import { readdir, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { build } from 'esbuild';

const targets = resolve(import.meta.dirname);
export const TARGETS_OUT = resolve(targets, '../.build');

/** Bundles every server in bench/targets (floor.ts is their shared part, this file the builder). */
export async function buildTargets(): Promise<void> {
  await rm(TARGETS_OUT, { recursive: true, force: true });
  const entries = (await readdir(targets)).filter((file) => file.endsWith('.ts') && file !== 'floor.ts' && file !== 'build.ts');
  await build({
    entryPoints: entries.map((file) => resolve(targets, file)),
    outdir: TARGETS_OUT,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    external: ['pg'],
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}

/** The path of a built target, for startServer: `target('floor-send')`. */
export const target = (name: string) => `bench/.build/${name}.mjs`;
