import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { injectionMarkup } from '../../injector/index.js';
import { diffOutsideTaggedTags, injectorOptions, readCaseOptions, runInjector } from './injector-harness.js';

/**
 * Golden corpus: test/fixtures/html/<case>/{input.html, options.json, expected.html}.
 * Each case runs whole and byte-by-byte (streaming must not change the result).
 * UPDATE_GOLDEN=1 rewrites expected.html files — review the diff before committing.
 */
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'html');
const update = process.env.UPDATE_GOLDEN === '1';

describe('injector golden corpus', () => {
  const cases = readdirSync(FIXTURES).sort();
  test('the corpus is not empty', () => assert.ok(cases.length >= 30));
  for (const name of cases) {
    test(name, async () => {
      const dir = join(FIXTURES, name);
      const input = readFileSync(join(dir, 'input.html'));
      const options = injectorOptions(readCaseOptions(join(dir, 'options.json')));
      const { output } = await runInjector(input, options);
      const expectedPath = join(dir, 'expected.html');
      if (update || !existsSync(expectedPath)) writeFileSync(expectedPath, output);
      assert.equal(output.toString('latin1'), readFileSync(expectedPath).toString('latin1'));
      if (options.disabled || name.includes('passthrough')) {
        assert.ok(output.equals(input), 'untouched pages are byte-identical');
      } else {
        const markup = injectionMarkup(options.clientConfig, options.scriptSrc, options.nonce);
        assert.equal(diffOutsideTaggedTags(input, output, markup), undefined);
      }
      // Huge inputs byte-by-byte take long; 7-byte chunks still split every tag somewhere.
      const chunk = input.length > 50_000 ? 997 : 1;
      const { output: streamed } = await runInjector(input, options, chunk);
      assert.equal(streamed.toString('latin1'), output.toString('latin1'), `chunks of ${chunk} byte(s) give the same output`);
    });
  }
});
