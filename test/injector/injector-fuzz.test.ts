import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { injectionMarkup } from '../../injector/index.js';
import { diffOutsideTaggedTags, injectorOptions, runInjector } from './injector-harness.js';

/**
 * Property tests over random and mutated HTML: with rewriting disabled the
 * output is byte-identical; enabled, it never throws, injects exactly once,
 * changes nothing outside rewritten tags, and does not depend on chunking.
 */
const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'html');
const RANDOM_INPUTS = 2000;
const MUTATED_INPUTS = 1500;

const PIECES = [
  '<img src="/a.png">', '<img src=b.png>', "<img src='/c.png' srcset='/c2.png 2x, /c,3.png 3x'>", '<IMG SRC=/d.PNG/>',
  '<img src="/a.png" src="/b.png">', '<img src="http://other.test/x.png">', '<img src="&amp;&#x2F;&colon;&notin;">',
  '<picture>', '</picture>', '<source srcset="/s.png 1x">', '<source src="/v.webm">', '<video poster="/p.png" src="/v.webm">',
  '</video>', '<audio src="/t.ogg">', '</audio>', '<head>', '</head>', '<body>', '</body>', '<html>', '</html>', '<base href="/x/">',
  '<meta charset="utf-8">', '<meta http-equiv="content-security-policy" content="x">', '<noscript>', '</noscript>',
  '<template>', '</template>', '<svg>', '</svg>', '<math>', '</math>', '<script>', '</script>', '<style>', '</style>',
  '<title>', '</title>', '<textarea>', '</textarea>', '<!--', '-->', '<![CDATA[', ']]>', '<!doctype html>', '<?pi?>',
  '<p>', '</p>', '<div class="a">', '</div>', 'text ', 'é ', '\u2028', '&', '<', '>', '"', "'", '=', ' ', '\n', '/',
  'data-p2p-skip', ' data-p2p-skip ', '<img data-p2p-skip src="/k.png">', '<img', ' src=', '\u0000', '\ufffd',
];

function rng(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    // xorshift32: deterministic, so a failure names a reproducible case.
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state % n;
  };
}

function randomHtml(random: (n: number) => number): Buffer {
  const parts: Buffer[] = [];
  const count = random(60);
  for (let i = 0; i < count; i++) {
    if (random(20) === 0) {
      const junk = Buffer.alloc(1 + random(8));
      for (let k = 0; k < junk.length; k++) junk[k] = random(256);
      parts.push(junk);
    } else {
      parts.push(Buffer.from(PIECES[random(PIECES.length)] as string));
    }
  }
  return Buffer.concat(parts);
}

function mutate(input: Buffer, random: (n: number) => number): Buffer {
  let out = Buffer.from(input);
  const edits = 1 + random(6);
  for (let e = 0; e < edits && out.length > 0; e++) {
    const at = random(out.length);
    switch (random(4)) {
      case 0: out[at] = random(256); break;
      case 1: out = Buffer.concat([out.subarray(0, at), Buffer.from(PIECES[random(PIECES.length)] as string), out.subarray(at)]); break;
      case 2: out = Buffer.concat([out.subarray(0, at), out.subarray(Math.min(out.length, at + 1 + random(20)))]); break;
      default: out = out.subarray(0, at); break;
    }
  }
  return out;
}

/** Elements tagged across all runs: the properties must be exercised on real rewrites too. */
let taggedTotal = 0;

async function check(input: Buffer, random: (n: number) => number, label: string): Promise<void> {
  const chunk = 1 + random(64);
  const disabled = await runInjector(input, injectorOptions({ policy: 'peer', disabled: true }), chunk);
  assert.ok(disabled.output.equals(input), `${label}: disabled output is byte-identical`);

  const options = injectorOptions({ policy: random(2) === 0 ? 'peer' : 'http', foldLoading: random(2) === 0, foldCount: random(4) });
  const whole = await runInjector(input, options);
  const chunked = await runInjector(input, options, chunk);
  assert.ok(whole.output.equals(chunked.output), `${label}: same output in chunks of ${chunk}`);
  assert.equal(whole.stream.failed, false, `${label}: no engine failure`);
  taggedTotal += whole.stream.stats.tagged;
  const markup = injectionMarkup(options.clientConfig, options.scriptSrc, undefined);
  if (input.subarray(0, 2).equals(Buffer.from([0xff, 0xfe])) || input.subarray(0, 2).equals(Buffer.from([0xfe, 0xff]))) {
    assert.ok(whole.output.equals(input), `${label}: UTF-16 passes through`);
    return;
  }
  assert.equal(diffOutsideTaggedTags(input, whole.output, markup), undefined, `${label}: only tagged tags change`);
}

test(`injector fuzz: ${RANDOM_INPUTS} random documents`, async () => {
  const random = rng(0x5eed);
  const before = taggedTotal;
  for (let i = 0; i < RANDOM_INPUTS; i++) await check(randomHtml(random), random, `random #${i}`);
  assert.ok(taggedTotal - before > 1000, `${taggedTotal - before} elements tagged`);
});

test(`injector fuzz: ${MUTATED_INPUTS} mutations of the golden corpus`, async () => {
  const random = rng(0xc0ffee);
  const seeds = readdirSync(FIXTURES).sort()
    .map((name) => readFileSync(join(FIXTURES, name, 'input.html')))
    .filter((input) => input.length < 20_000);
  assert.ok(seeds.length > 20);
  for (let i = 0; i < MUTATED_INPUTS; i++) {
    await check(mutate(seeds[random(seeds.length)] as Buffer, random), random, `mutation #${i}`);
  }
  assert.ok(taggedTotal > 2000, `${taggedTotal} elements tagged`);
});
