// Bundles the browser code with esbuild into dist/<name>/, named by content hash
// so it can be served with immutable caching: the client, and the dashboard's
// script (which the proxy inlines into the dashboard page under a CSP hash).
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

// The same list as CLIENT_BUILD and DASHBOARD_BUILD in proxy/routes/client-bundle.ts.
const builds = [
  { name: 'client', entry: 'client/index.ts' },
  { name: 'dashboard', entry: 'proxy/dashboard/browser/dashboard.ts' },
];
// Shared with the proxy's in-process bundler (proxy/routes/client-bundle.ts). Its
// define turns the client's test hooks off: production bundles carry no fault injection.
const options = JSON.parse(readFileSync('client/bundle-options.json', 'utf8'));

for (const { name, entry } of builds) {
  const outDir = `dist/${name}`;
  // dist/<name> holds only what this script writes: start from an empty folder.
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  if (!existsSync(entry)) {
    console.log(`build-client: ${entry} not present yet, nothing to bundle`);
    continue;
  }
  const result = await build({ ...options, entryPoints: [entry], write: false });
  const code = result.outputFiles[0].contents;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 12);
  const file = `${name}.${hash}.js`;
  writeFileSync(`${outDir}/${file}`, code);
  writeFileSync(`${outDir}/manifest.json`, JSON.stringify({ file, hash, bytes: code.length }, null, 2));
  console.log(`build-client: ${outDir}/${file} (${code.length} bytes)`);
}
