// The built-in demo site as a process of its own, standing for "the origin" on the
// emulated internet: `node --import tsx demo-origin-program.ts <host> <port> <log file>`.
// Every request is appended to the log file as one JSON line (path, user agent and
// the X-Forwarded-For the proxy added), so a test can read the origin's access log
// from outside the namespace.
import { appendFileSync } from 'node:fs';
import { buildDemoSite } from '../../proxy/demo/demo-site.js';
import { StaticOrigin } from '../../proxy/demo/static-origin.js';

const [host = '127.0.0.1', port = '0', logFile] = process.argv.slice(2);
if (!logFile) throw new Error('usage: demo-origin-program.ts <host> <port> <log file>');

const origin = new StaticOrigin(buildDemoSite());
// A second listener: StaticOrigin answers, this one only writes the log line.
origin.server.on('request', (req) => {
  const line = {
    method: req.method ?? 'GET',
    path: decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname),
    userAgent: req.headers['user-agent'] ?? null,
    forwardedFor: req.headers['x-forwarded-for'] ?? null,
  };
  appendFileSync(logFile, JSON.stringify(line) + '\n');
});
const url = await origin.listen(Number(port), host);
console.log(`listening ${url.href}`);
process.once('SIGTERM', () => void origin.close().then(() => process.exit(0)));
