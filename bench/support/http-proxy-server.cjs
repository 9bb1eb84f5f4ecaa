// Baseline for bench/proxy: the original design's http-proxy 1.18 with a keep-alive agent.
const http = require('node:http');
const httpProxy = require('http-proxy');

const target = process.env.TARGET;
const port = Number(process.env.PORT);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const proxy = httpProxy.createProxyServer({ target, agent, xfwd: true });
proxy.on('error', (err, req, res) => {
  res.writeHead(502);
  res.end();
});
http.createServer((req, res) => proxy.web(req, res)).listen(port, '127.0.0.1', () => process.send?.('ready'));
