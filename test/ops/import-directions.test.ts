import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

/**
 * Imports run one way (DESIGN.md): the browser side and the shared protocol never
 * reach server code, the seeder never reaches the proxy, and only the composition
 * root wires the seeder in. Read from the sources, so a new import that breaks the
 * rule fails here before it can grow roots.
 */
const FOLDERS = ['protocol', 'core', 'injector', 'seeder', 'proxy', 'client'] as const;
type Folder = (typeof FOLDERS)[number];

const ALLOWED: Record<Folder, readonly Folder[]> = {
  protocol: [],
  core: ['protocol'],
  injector: ['protocol'],
  seeder: ['core', 'protocol'],
  proxy: ['core', 'protocol', 'injector', 'seeder'],
  client: ['protocol'],
};
/** The only proxy file allowed to import seeder/. */
const COMPOSITION_ROOT = 'proxy/app.ts';
/** Folders that run in browsers: no Node built-ins. */
const BROWSER_SAFE: readonly Folder[] = ['protocol', 'client'];

interface Import { file: string; specifier: string }

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const found: Import[] = [];
  for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*'([^']+)'|import\(\s*'([^']+)'\s*\)|(?:^|\n)\s*import\s*'([^']+)'/g)) {
    found.push({ file, specifier: (match[1] ?? match[2] ?? match[3]) as string });
  }
  return found;
}

function folderOf(path: string): string {
  return relative(process.cwd(), path).split('/')[0] as string;
}

const imports = FOLDERS.flatMap((folder) => sourceFiles(folder).flatMap(importsOf));

test('every product folder imports only the folders it may', () => {
  const wrong: string[] = [];
  for (const { file, specifier } of imports) {
    if (!specifier.startsWith('.')) continue;
    const from = folderOf(file) as Folder;
    const to = folderOf(resolve(dirname(file), specifier));
    if (to === from) continue;
    const allowed = (ALLOWED[from] as readonly string[]).includes(to);
    if (!allowed) wrong.push(`${file} → ${specifier}`);
  }
  assert.deepEqual(wrong, []);
});

test('only the composition root imports seeder/', () => {
  const importers = new Set(imports
    .filter(({ file, specifier }) => specifier.startsWith('.') && folderOf(file) === 'proxy' && folderOf(resolve(dirname(file), specifier)) === 'seeder')
    .map(({ file }) => file));
  assert.deepEqual([...importers], [COMPOSITION_ROOT]);
});

test('browser-side folders import no Node built-ins or server packages', () => {
  const wrong = imports
    .filter(({ file }) => BROWSER_SAFE.includes(folderOf(file) as Folder))
    .filter(({ specifier }) => specifier.startsWith('node:') || ['ws', 'undici', 'pino', 'prom-client', 'node-datachannel'].includes(specifier))
    .map(({ file, specifier }) => `${file} → ${specifier}`);
  assert.deepEqual(wrong, []);
});

test('the check sees real imports (it would catch a violation)', () => {
  // Guards the parser: the composition root must be seen importing the seeder.
  assert.ok(imports.some(({ file, specifier }) => file === COMPOSITION_ROOT && specifier.includes('seeder/')));
  assert.ok(imports.some(({ file }) => file.startsWith('client/')));
});
