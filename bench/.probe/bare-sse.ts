import { createServer } from 'node:http';

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (!req.headers.accept?.includes('event-stream')) {
      res.end('{}');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(':\n\n');
    const t = setInterval(() => res.write(':\n\n'), 12000);
    res.on('close', () => clearInterval(t));
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
