// The floor of start-up: node loading pg, connecting to the database, then
// answering `{ __typename }` over node:http. Herald's time to ready is measured against it.
import { createServer } from 'node:http';
import pg from 'pg';

const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
await client.query('SELECT 1');
createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"data":{"__typename":"Query"}}');
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => client.end().then(() => process.exit(0)));
