import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import ts from 'typescript';

/**
 * The two product tsconfigs keep the sides apart: browser code gets the DOM and
 * no Node types, server code gets Node and no DOM. Checked by compiling small
 * probe files under each config, the way `npm run typecheck` compiles the product.
 */
const probes = mkdtempSync(join(tmpdir(), 'pc-typecheck-'));
after(() => rmSync(probes, { recursive: true, force: true }));

function diagnostics(config: string, source: string): string[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(config, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); },
  });
  assert.ok(parsed, config);
  const file = join(probes, `probe-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(file, source);
  const program = ts.createProgram({ rootNames: [file], options: { ...parsed.options, noEmit: true } });
  return ts.getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === file)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

test('browser side: a file importing node:* or using Buffer fails to typecheck', () => {
  const errors = diagnostics('tsconfig.browser.json', "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\nexport const b = Buffer.from('x');\n");
  assert.ok(errors.some((e) => e.includes("'node:fs'")), errors.join('\n'));
  assert.ok(errors.some((e) => e.includes("'Buffer'")), errors.join('\n'));
});

test('server side: a file using window or document fails to typecheck', () => {
  const errors = diagnostics('tsconfig.server.json', 'export const a = window.location.href;\nexport const b = document.title;\n');
  assert.ok(errors.some((e) => e.includes("'window'")), errors.join('\n'));
  assert.ok(errors.some((e) => e.includes("'document'")), errors.join('\n'));
});

test('each side accepts what belongs to it', () => {
  assert.deepEqual(diagnostics('tsconfig.browser.json', 'export const a = document.title + window.location.href;\n'), []);
  assert.deepEqual(diagnostics('tsconfig.server.json', "import { readFileSync } from 'node:fs';\nexport const a = readFileSync;\nexport const b = Buffer.from('x');\n"), []);
});
