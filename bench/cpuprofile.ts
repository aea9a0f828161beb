import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { ROOT } from './servers.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  share: number;
}

function place(url: string, line: number): string {
  if (!url) return '(native)';
  const path = url.startsWith('file://') ? relative(ROOT, new URL(url).pathname) : url;
  return `${path}:${line + 1}`;
}

function rank(totals: Map<string, { name: string; where: string; us: number }>, all: number, top: number): SelfTime[] {
  return [...totals.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map(({ name, where, us }) => ({ name, where, ms: us / 1000, share: us / all }));
}

/** Self time per function and per package, from the sample deltas (more exact than hit counts). */
export async function selfTimes(path: string, top = 15) {
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const functions = new Map<string, { name: string; where: string; us: number }>();
  const packages = new Map<string, { name: string; where: string; us: number }>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const name = functionName || '(anonymous)';
    const where = place(url, lineNumber);
    const key = `${name} ${where}`;
    const fn = functions.get(key) ?? { name, where, us: 0 };
    fn.us += us;
    functions.set(key, fn);
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (url.startsWith('node:') ? 'node:*' : url ? 'herald' : name);
    const group = packages.get(pkg) ?? { name: pkg, where: '', us: 0 };
    group.us += us;
    packages.set(pkg, group);
    all += us;
  });
  return { totalMs: all / 1000, functions: rank(functions, all, top), packages: rank(packages, all, top) };
}
