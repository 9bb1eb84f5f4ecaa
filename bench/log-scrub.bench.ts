// Cost of the log scrubber (secrets always, IP masking with P2P_PRIVACY=strict) on
// access-log lines, against plain pino writing the same lines. All three run in
// the same invocation, so the ratios compare like with like on a noisy machine.
//
//   node --import tsx bench/log-scrub.bench.ts [--lines 100000] [--rounds 3]
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createLogger } from '../core/logger.js';

const { values } = parseArgs({ options: { lines: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '3' } } });
const LINES = Number(values.lines);
const ROUNDS = Number(values.rounds);
const SECRET = 'bench-admin-token-0123456789abcdef';

const sink = (): Writable => new Writable({ write(_chunk, _encoding, done) { done(); } });
const accessLine = (i: number) => ({
  reqId: `abcd1234-${i.toString(36)}`, method: 'GET', url: `/gallery/photo-${i}.png?w=300`, status: 200,
  ms: 1.2, bytes: '12345', ip: '203.0.113.77', aborted: false,
});

function nsPerLine(logger: { info: (obj: object, msg: string) => void }): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < LINES; i++) logger.info(accessLine(i), 'request');
  return Number(process.hrtime.bigint() - started) / LINES;
}

const results: Record<string, number[]> = { plain: [], normal: [], strict: [] };
for (let round = 0; round < ROUNDS; round++) {
  results.plain?.push(nsPerLine(pino({ level: 'info' }, sink())));
  results.normal?.push(nsPerLine(createLogger('info', { privacy: 'normal', secrets: [SECRET], destination: sink() })));
  results.strict?.push(nsPerLine(createLogger('info', { privacy: 'strict', secrets: [SECRET], destination: sink() })));
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const plain = median(results.plain ?? []);
console.log(`${LINES} access-log lines × ${ROUNDS} rounds (median per line)`);
for (const [name, samples] of Object.entries(results)) {
  const value = median(samples);
  console.log(`  ${name.padEnd(8)} ${(value / 1000).toFixed(2).padStart(6)} µs/line   ×${(value / plain).toFixed(2)} of plain pino`);
}
