import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

// Peer data (asset ids, URLs, peer ids) must never be parsed as markup in the page.
test('the client and the dashboard script never write HTML: no innerHTML, outerHTML, insertAdjacentHTML, document.write or parsed fragments', async () => {
  const sinks = /\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment|DOMParser|srcdoc)\b/;
  for (const folder of ['client', 'proxy/dashboard/browser']) {
    const root = join(import.meta.dirname, '../..', folder);
    const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length > 0, `the ${folder} sources were found`);
    for (const file of files) {
      const code = (await readFile(join(root, file), 'utf8')).replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
      assert.ok(!sinks.test(code), `${folder}/${file} uses an HTML sink: ${sinks.exec(code)?.[0]}`);
    }
  }
});
