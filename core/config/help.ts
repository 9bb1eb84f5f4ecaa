import { OPTIONS, type OptionSpec } from './options.js';
import { toFlag } from './load-config.js';

function defaultOf(spec: OptionSpec): string {
  const parsed = spec.schema.safeParse(undefined);
  if (!parsed.success || parsed.data === undefined) return '(none)';
  return Array.isArray(parsed.data) ? parsed.data.join(',') || '(empty)' : String(parsed.data);
}

/** Rows describing every option, shared by `--help` and the README table check. */
export function optionRows(): { key: string; flag: string; env: string; defaultValue: string; doc: string }[] {
  return Object.entries(OPTIONS).map(([name, spec]) => ({
    key: spec.key,
    flag: `--${toFlag(name)}`,
    env: spec.env,
    defaultValue: defaultOf(spec),
    doc: spec.doc,
  }));
}

export function helpText(): string {
  const lines = [
    'Usage: peerconnect [options]',
    '',
    'A reverse proxy that turns any website into a peer-to-peer CDN.',
    'Options come from flags, env vars, or a JSON file named by PEERCONNECT_CONFIG',
    '(flags override env, env overrides the file).',
    '',
  ];
  for (const row of optionRows()) {
    lines.push(`  ${row.flag.padEnd(30)} ${row.env.padEnd(24)} default: ${row.defaultValue}`);
    lines.push(`      ${row.doc}`);
  }
  lines.push('', '  --help                         print this help', '  --version                      print the version');
  return lines.join('\n');
}

/** Markdown table of every option, for the README. */
export function markdownTable(): string {
  const lines = ['| JSON key | env var | default | meaning |', '|---|---|---|---|'];
  for (const row of optionRows()) {
    lines.push(`| \`${row.key}\` | \`${row.env}\` | \`${row.defaultValue}\` | ${row.doc} |`);
  }
  return lines.join('\n');
}
