import { readFileSync } from 'node:fs';

const snap = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const want = process.argv[3];
const samples = Number(process.argv[4] ?? 3);
const m = snap.snapshot.meta;
const nf = m.node_fields.length,
  ef = m.edge_fields.length;
const types = m.node_types[0],
  etypes = m.edge_types[0];
const N = snap.nodes.length / nf;
const nodes = snap.nodes,
  edges = snap.edges,
  strings = snap.strings;
const firstEdge = new Uint32Array(N + 1);
for (let i = 0, e = 0; i < N; i++) {
  firstEdge[i] = e;
  e += nodes[i * nf + 4];
}
firstEdge[N] = edges.length / ef;
const retainer = new Int32Array(N).fill(-1);
const retEdge = new Int32Array(N).fill(-1);
for (let i = 0; i < N; i++)
  for (let e = firstEdge[i]; e < firstEdge[i + 1]; e++) {
    const et = etypes[edges[e * ef]];
    if (et === 'weak' || et === 'shortcut') continue;
    const to = edges[e * ef + 2] / nf;
    if (retainer[to] === -1) {
      retainer[to] = i;
      retEdge[to] = e;
    }
  }
const name = (i) => `${types[nodes[i * nf]]}:${strings[nodes[i * nf + 1]].slice(0, 50)}`;
const edgeName = (e) => {
  const t = etypes[edges[e * ef]];
  const n = edges[e * ef + 1];
  return t === 'element' || t === 'hidden' ? `[${n}]` : strings[n];
};
let found = 0;
for (let i = 0; i < N && found < samples; i++) {
  if (!name(i).startsWith(want)) continue;
  if (Math.random() > Number(process.env.P ?? 0.01)) continue;
  found++;
  const chain = [];
  let cur = i;
  const seen = new Set();
  while (retainer[cur] !== -1 && chain.length < 25 && !seen.has(cur)) {
    seen.add(cur);
    chain.push(`${name(cur)} <-${edgeName(retEdge[cur])}-`);
    cur = retainer[cur];
  }
  chain.push(name(cur));
  console.log(chain.join('\n   '));
  console.log('----');
}
