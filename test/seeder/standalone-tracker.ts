/**
 * bittorrent-tracker's Server on its own, WebSocket only, on a free loopback
 * port: the "external" WebTorrent tracker of P2P_TRACKER_URL tests. Prints one
 * JSON line per fact: `{"listening":port}`, then `{"event","infoHash","peerId"}`
 * for every announce it has processed (start, update, complete, stop).
 */
import Server from 'bittorrent-tracker/server';

type ListeningServer = Server & {
  listen(port: number, hostname: string, onListening: () => void): void;
  ws: { address(): { port: number } };
};

const server = new Server({ http: false, udp: false, ws: true, stats: false }) as ListeningServer;
const print = (fact: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(fact)}\n`);

server.on('error', (err: Error) => {
  process.stderr.write(`tracker error: ${err.message}\n`);
  process.exit(1);
});
server.on('warning', () => undefined);
for (const event of ['start', 'update', 'complete', 'stop']) {
  server.on(event, (peerId: string, params: { info_hash?: string }) => print({ event, infoHash: params.info_hash, peerId }));
}
server.listen(0, '127.0.0.1', () => print({ listening: server.ws.address().port }));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
