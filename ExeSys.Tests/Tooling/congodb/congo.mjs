// Starts CongoDB, an in-memory MongoDB wire-protocol server, for the ExeSys tests.
// Usage: node congo.mjs <port>. Prints "congodb ready on <port>" once it accepts connections; stops on SIGTERM.
import { CongoServer } from '@push.rocks/smartmongo/dist_ts/congodb/index.js';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node congo.mjs <port>');
  process.exit(2);
}

const server = new CongoServer({ host: '127.0.0.1', port, storage: 'memory' });
await server.start();
console.log(`congodb ready on ${port}`);

const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
