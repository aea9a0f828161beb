// The machine's ceiling: HTTP with no GraphQL at all.
import { createServer } from 'node:http';

const BODY = Buffer.from('{"data":{"hello":"world"}}');

createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': BODY.length });
    res.end(BODY);
  });
}).listen(Number(process.env.PORT), '127.0.0.1');

process.on('SIGTERM', () => process.exit(0));
