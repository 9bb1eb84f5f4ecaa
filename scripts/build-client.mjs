// Bundles the browser client with esbuild into dist/client/, named by content hash
// so it can be served with immutable caching.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const entry = 'client/index.ts';
const outDir = 'dist/client';
mkdirSync(outDir, { recursive: true });
// tsc emits the shared client/protocol modules into dist/client too (the proxy
// imports them at run time): remove only earlier bundles, never the whole folder.
for (const name of readdirSync(outDir)) {
  if (/^client\.[0-9a-f]+\.js$/.test(name) || name === 'manifest.json') rmSync(`${outDir}/${name}`);
}
if (!existsSync(entry)) {
  console.log(`build-client: ${entry} not present yet, nothing to bundle`);
  process.exit(0);
}
// Shared with the proxy's in-process bundler (proxy/routes/client-bundle.ts).
const options = JSON.parse(readFileSync('client/bundle-options.json', 'utf8'));
const result = await build({ ...options, entryPoints: [entry], write: false });
const code = result.outputFiles[0].contents;
const hash = createHash('sha256').update(code).digest('hex').slice(0, 12);
writeFileSync(`${outDir}/client.${hash}.js`, code);
writeFileSync(`${outDir}/manifest.json`, JSON.stringify({ file: `client.${hash}.js`, hash, bytes: code.length }, null, 2));
console.log(`build-client: ${outDir}/client.${hash}.js (${code.length} bytes)`);
