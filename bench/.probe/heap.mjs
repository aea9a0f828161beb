import { readFileSync } from 'node:fs';

const snap = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const f = snap.snapshot.meta.node_fields;
const types = snap.snapshot.meta.node_types[0];
const n = f.length;
const nodes = snap.nodes;
const strings = snap.strings;
const iType = f.indexOf('type'),
  iName = f.indexOf('name'),
  iSize = f.indexOf('self_size');
const agg = new Map();
for (let i = 0; i < nodes.length; i += n) {
  const key = types[nodes[i + iType]] + ':' + strings[nodes[i + iName]].slice(0, 60);
  const a = agg.get(key) ?? [0, 0];
  a[0] += 1;
  a[1] += nodes[i + iSize];
  agg.set(key, a);
}
const top = [...agg].sort((a, b) => b[1][1] - a[1][1]).slice(0, Number(process.argv[3] ?? 40));
for (const [k, [c, s]] of top) console.log((s / 1024).toFixed(0).padStart(8), 'KB', String(c).padStart(8), k);
