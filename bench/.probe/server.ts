import { writeHeapSnapshot } from 'node:v8';

process.on('SIGUSR2', () => {
  const f = writeHeapSnapshot();
  console.log('snapshot', f);
});
await import('../../src/main.ts');
