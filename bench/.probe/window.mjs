import { readFileSync } from 'node:fs';

const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
let t = p.startTime;
const times = p.timeDeltas.map((d) => (t += d));
// idle = samples in (program)/(idle); find the last long run of idle samples >= 1.5 s
const isIdle = (i) => ['(idle)', '(program)'].includes(byId.get(p.samples[i]).callFrame.functionName);
let runStart = -1,
  best = null;
for (let i = 0; i < p.samples.length; i++) {
  if (isIdle(i)) {
    if (runStart < 0) runStart = i;
  } else {
    if (runStart >= 0 && times[i] - times[runStart] > 1.5e6) best = i;
    runStart = -1;
  }
}
const from = times[best],
  to = from + Number(process.argv[3] ?? 2e6);
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map(),
  total = new Map();
let all = 0;
for (let i = best; i < p.samples.length && times[i] < to; i++) {
  const us = p.timeDeltas[i + 1] ?? 0;
  const n = byId.get(p.samples[i]);
  const cf = n.callFrame;
  if (cf.functionName === '(idle)') continue;
  all += us;
  const key = `${cf.functionName || '(anon)'} ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + us);
  const seen = new Set();
  let id = n.id;
  while (id !== undefined) {
    const c = byId.get(id).callFrame;
    const k = `${c.functionName || '(anon)'} ${c.url.split('/').slice(-2).join('/')}:${c.lineNumber + 1}`;
    if (!seen.has(k)) {
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + us);
    }
    id = parent.get(id);
  }
}
console.log('window busy ms', (all / 1000).toFixed(0));
console.log('--- self');
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log((v / 1000).toFixed(1).padStart(7), k);
console.log('--- total');
for (const [k, v] of [...total].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log((v / 1000).toFixed(1).padStart(7), k);
