/**
 * A strict parser of the Prometheus text exposition format (0.0.4), for tests:
 * it throws on anything a scraper would reject (bad names, label syntax, values,
 * samples without a TYPE, duplicate series), so a passing test means the output
 * really is scrapeable.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help?: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, string[]> = {
  counter: ['', '_total', '_created'],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  summary: ['', '_sum', '_count', '_created'],
};

/** Prometheus reads values with Go's ParseFloat, which takes NaN and Inf in any case (prom-client writes `Nan`). */
function parseValue(text: string, line: number): number {
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`line ${line}: bad value ${JSON.stringify(text)}`);
  return Number(text);
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`line ${line}: label without =`);
    const name = text.slice(i, eq).trim();
    if (!LABEL_NAME.test(name)) throw new Error(`line ${line}: bad label name ${JSON.stringify(name)}`);
    if (text[eq + 1] !== '"') throw new Error(`line ${line}: label value must be quoted`);
    let j = eq + 2;
    let value = '';
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const next = text[++j];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`line ${line}: bad escape \\${next}`);
      } else {
        value += text[j];
      }
    }
    if (text[j] !== '"') throw new Error(`line ${line}: unterminated label value`);
    if (name in labels) throw new Error(`line ${line}: duplicate label ${name}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (i < text.length) throw new Error(`line ${line}: expected , between labels`);
  }
  return labels;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw === '') return;
    if (raw.startsWith('#')) {
      const match = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(raw);
      if (!match) return; // other comments are allowed
      const [, kind, name = '', rest = ''] = match;
      if (!NAME.test(name)) throw new Error(`line ${line}: bad metric name ${JSON.stringify(name)}`);
      let family = families.get(name);
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`line ${line}: bad type ${JSON.stringify(rest)}`);
        if (family?.samples.length) throw new Error(`line ${line}: TYPE after samples of ${name}`);
        if (family && family.type !== 'untyped') throw new Error(`line ${line}: second TYPE for ${name}`);
        family ??= { name, type: 'untyped', samples: [] };
        family.type = rest as Family['type'];
      } else {
        family ??= { name, type: 'untyped', samples: [] };
        family.help = rest;
      }
      families.set(name, family);
      return;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(raw);
    if (!match) throw new Error(`line ${line}: not a sample: ${JSON.stringify(raw)}`);
    const [, name = '', , labelText = '', valueText = ''] = match;
    const labels = parseLabels(labelText, line);
    const value = parseValue(valueText, line);
    let family: Family | undefined;
    for (const candidate of families.values()) {
      if (SUFFIXES[candidate.type]?.some((suffix) => candidate.name + suffix === name)) {
        family = candidate;
        break;
      }
    }
    if (!family) throw new Error(`line ${line}: sample ${name} has no TYPE/HELP family`);
    if (family.type === 'histogram' && name.endsWith('_bucket') && !('le' in labels)) throw new Error(`line ${line}: bucket without le`);
    const key = name + JSON.stringify(Object.entries(labels).sort());
    if (seen.has(key)) throw new Error(`line ${line}: duplicate series ${key}`);
    seen.add(key);
    family.samples.push({ name, labels, value });
  });
  return families;
}

/** Value of one series (0 when absent, as for a counter never incremented). */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  for (const family of families.values()) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => sample.labels[k] === v)) return sample.value;
    }
  }
  return 0;
}
