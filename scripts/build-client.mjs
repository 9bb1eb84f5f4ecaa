// Bundles the browser client with esbuild into dist/client/, named by content hash
// so it can be served with immutable caching.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const entry = 'client/index.ts';
const outDir = 'dist/client';
// dist/client holds only what this script writes: start from an empty folder.
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
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
