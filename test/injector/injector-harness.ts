import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { ClientConfig } from '../../protocol/client-config.js';
import { createInjector, type AssetRef, type InjectorOptions, type InjectorStream } from '../../injector/index.js';
import type { DeliveryMode } from '../../protocol/media.js';
import type { EngineFactory } from '../../injector/create-injector.js';
import { assetIdFor } from '../../core/asset-id.js';

export const TEST_PAGE_URL = 'http://site.test/dir/page.html';
export const TEST_SCRIPT_SRC = '/__p2p/client.0123456789ab.js';

export function testClientConfig(overrides: Partial<ClientConfig> = {}): ClientConfig {
  return { v: 1, prefix: '/__p2p', peerTimeoutMs: 2000, iceServers: [], mediaTypes: ['image', 'video', 'audio'], ...overrides };
}

/** The JSON shape of a golden case's options.json. */
export interface CaseOptions extends Partial<Omit<InjectorOptions, 'policy' | 'assetId' | 'clientConfig' | 'scriptSrc'>> {
  /** 'peer' or 'http' for every asset, or peer for URLs containing one of the substrings. */
  policy?: DeliveryMode | { peer: string[] };
  iceServers?: string[];
}

export function injectorOptions(caseOptions: CaseOptions = {}): InjectorOptions {
  const { policy, iceServers, ...rest } = caseOptions;
  let policyFn: ((asset: AssetRef) => DeliveryMode) | undefined;
  if (policy === 'peer') policyFn = () => 'peer';
  else if (typeof policy === 'object') policyFn = (asset) => (policy.peer.some((s) => asset.url.includes(s)) ? 'peer' : 'http');
  return {
    pageUrl: TEST_PAGE_URL,
    assetId: assetIdFor,
    scriptSrc: TEST_SCRIPT_SRC,
    clientConfig: testClientConfig(iceServers ? { iceServers } : {}),
    ...rest,
    ...(policyFn ? { policy: policyFn } : {}),
  };
}

export function readCaseOptions(path: string): CaseOptions {
  return JSON.parse(readFileSync(path, 'utf8')) as CaseOptions;
}

const RUN_TIMEOUT_MS = 30_000;

/** Feeds `input` in chunks of `chunkSize` bytes and collects the output. */
export async function runInjector(input: Buffer, options: InjectorOptions, chunkSize = 64 * 1024, engine?: EngineFactory): Promise<{ output: Buffer; stream: InjectorStream }> {
  const stream = createInjector(options, {}, engine);
  const chunks: Buffer[] = [];
  for (let i = 0; i < input.length; i += chunkSize) chunks.push(input.subarray(i, i + chunkSize));
  const out: Buffer[] = [];
  stream.on('data', (c: Buffer) => out.push(c));
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('injector did not finish')), RUN_TIMEOUT_MS);
    stream.once('end', () => { clearTimeout(timer); resolve(); });
    stream.once('error', (err) => { clearTimeout(timer); reject(err); });
  });
  Readable.from(chunks, { objectMode: false }).pipe(stream);
  await done;
  return { output: Buffer.concat(out), stream };
}

/** End of the tag starting at `start` (a `<`), skipping quoted attribute values. */
function tagEnd(text: string, start: number): number {
  let quote: string | undefined;
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      // Only a quote right after `=` (optionally spaced) opens a value.
      if (/=\s*$/.test(text.slice(Math.max(start, i - 8), i))) quote = c;
    } else if (c === '>') {
      return i + 1;
    }
  }
  return text.length;
}

const TAGGED = /\sdata-p2p(-src|-srcset|-poster)?="/;

/** Start of the next start tag (from `from`) that carries a data-p2p attribute, scanning quote-aware. */
function nextTaggedTag(text: string, from: number): number | undefined {
  for (let at = text.indexOf('<', from); at >= 0; at = text.indexOf('<', at + 1)) {
    if (!/[A-Za-z]/.test(text[at + 1] ?? '')) continue;
    if (TAGGED.test(text.slice(at, tagEnd(text, at)))) return at;
  }
  return undefined;
}

/**
 * Asserts the output equals the input except for (a) the injected markup, once,
 * and (b) whole start tags that now carry data-p2p-* attributes. Compared as
 * latin1 so every byte maps to one character.
 */
export function diffOutsideTaggedTags(input: Buffer, output: Buffer, injected: string): string | undefined {
  const inText = input.toString('latin1');
  let outText = output.toString('latin1');
  const at = outText.indexOf(injected);
  if (at < 0) return 'injected markup missing';
  outText = outText.slice(0, at) + outText.slice(at + injected.length);
  if (outText.includes(injected)) return 'injected twice';
  let i = 0;
  let j = 0;
  for (;;) {
    const start = nextTaggedTag(outText, j);
    const stop = start ?? outText.length;
    const same = outText.slice(j, stop);
    if (inText.slice(i, i + same.length) !== same) return `bytes differ near input offset ${i}: ${JSON.stringify(inText.slice(i, i + 80))} vs ${JSON.stringify(same.slice(0, 80))}`;
    i += same.length;
    if (start === undefined) break;
    if (inText[i] !== '<') return `expected a tag at input offset ${i}`;
    i = tagEnd(inText, i);
    j = tagEnd(outText, start);
  }
  return i === inText.length ? undefined : `input has ${inText.length - i} more bytes`;
}
