import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { OPTIONS, type Config, type EnvKind, type OptionName, type OptionSpec } from './options.js';

export type Env = Readonly<Record<string, string | undefined>>;

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/** Turns an env string into the JSON value the schema expects; throws on nonsense. */
function parseEnvValue(kind: EnvKind, raw: string): unknown {
  const text = raw.trim();
  switch (kind) {
    case 'int':
      // Number('') is 0 and Number('1e3') is 1000: accept only plain digits.
      if (!/^-?\d+$/.test(text)) return Number.NaN;
      return Number(text);
    case 'bool':
      if (TRUE_WORDS.has(text.toLowerCase())) return true;
      if (FALSE_WORDS.has(text.toLowerCase())) return false;
      return text;
    case 'json-or-list':
      // `[…]` is a JSON array (P2P_ICE_SERVERS='[{"urls":"turn:…","username":…}]'); anything else a comma list.
      if (text.startsWith('[')) {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          return text;
        }
      }
      return parseEnvValue('list', text);
    case 'list':
      return text === '' ? [] : text.split(',').map((item) => item.trim()).filter((item) => item !== '');
    case 'string':
      return text;
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`PEERCONNECT_CONFIG=${JSON.stringify(path)}: cannot read file (${(err as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`PEERCONNECT_CONFIG=${JSON.stringify(path)}: expected a JSON object (${(err as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`PEERCONNECT_CONFIG=${JSON.stringify(path)}: expected a JSON object`);
  }
  const known = new Set(Object.values(OPTIONS).map((spec) => spec.key));
  for (const key of Object.keys(parsed)) {
    if (!known.has(key)) {
      throw new ConfigError(`${key} in ${path}: unknown option (expected one of ${[...known].join(', ')})`);
    }
  }
  return parsed as Record<string, unknown>;
}

/**
 * Builds the validated, frozen config: defaults, then the JSON file named by
 * PEERCONNECT_CONFIG, then env vars, then explicit overrides (CLI flags or tests).
 * Throws ConfigError naming the key, the bad value and what was expected.
 */
export function loadConfig(env: Env = process.env, overrides: Partial<Record<OptionName, unknown>> = {}): Config {
  const filePath = env.PEERCONNECT_CONFIG;
  const file = filePath ? readConfigFile(filePath) : {};
  const result: Record<string, unknown> = {};

  for (const [name, spec] of Object.entries(OPTIONS) as [OptionName, OptionSpec][]) {
    let raw: unknown;
    let source: string;
    if (overrides[name] !== undefined) {
      raw = overrides[name];
      source = `--${toFlag(name)}=${describe(raw)}`;
    } else if (env[spec.env] !== undefined && (env[spec.env] !== '' || spec.kind === 'list')) {
      // An empty list var means "none" (P2P_EXCLUDE_FORMATS= turns the gif rule off);
      // an empty scalar var means unset, as shells and compose files leave them.
      const text = env[spec.env] as string;
      raw = parseEnvValue(spec.kind, text);
      source = `${spec.env}=${JSON.stringify(text)}`;
    } else if (file[spec.key] !== undefined) {
      raw = file[spec.key];
      source = `${spec.key}=${describe(raw)} in ${filePath}`;
    } else {
      raw = undefined;
      source = spec.key;
    }
    if (typeof raw === 'string' && spec.kind !== 'string' && source.startsWith('--')) {
      raw = parseEnvValue(spec.kind, raw);
    }
    const parsed = spec.schema.safeParse(raw);
    if (!parsed.success) {
      // Refinements that know more than `expected` (which entry, what is missing) say so.
      const issue = parsed.error.issues.find((i) => i.code === 'custom' && (i.params as { detail?: boolean } | undefined)?.detail);
      throw new ConfigError(`${source}: expected ${spec.expected}${issue ? ` (${issue.message})` : ''}`);
    }
    result[name] = parsed.data;
  }
  checkTogether(result as Config);
  return Object.freeze(result) as Config;
}

/** Options that only make sense together. */
function checkTogether(config: Config): void {
  const { turnUrls, turnSecret } = OPTIONS;
  if (config.turnUrls.length > 0 && config.turnSecret === undefined) {
    throw new ConfigError(`${turnUrls.env}=${JSON.stringify(config.turnUrls.join(','))}: expected ${turnSecret.env} as well (the coturn static-auth-secret the proxy mints credentials with)`);
  }
  if (config.turnSecret !== undefined && config.turnUrls.length === 0) {
    // The secret itself never goes into a message.
    throw new ConfigError(`${turnSecret.env} is set: expected ${turnUrls.env} as well (the turn: URLs the minted credentials are for)`);
  }
  const { acmeDomains, tlsCertFile, httpPort } = OPTIONS;
  if (config.acmeDomains.length > 0 && (config.tlsCertFile !== undefined || config.tlsKeyFile !== undefined)) {
    // One source of certificates: ACME would swap out the files' certificate, and a file reload would swap out ACME's.
    throw new ConfigError(`${acmeDomains.env}=${JSON.stringify(config.acmeDomains.join(','))}: not with ${tlsCertFile.env}/TLS_KEY_FILE (expected one source of certificates: ACME or files)`);
  }
  if (config.acmeDomains.length > 0 && config.httpPort === 'off') {
    throw new ConfigError(`${acmeDomains.env}=${JSON.stringify(config.acmeDomains.join(','))}: expected ${httpPort.env} to listen (the CA fetches HTTP-01 challenges over plain HTTP), not off`);
  }
  const { workers, redisUrl } = OPTIONS;
  if (config.workers > 1 && config.redisUrl === undefined) {
    // Each worker is an instance with its own signaling: without Redis, visitors on different workers would never be paired.
    throw new ConfigError(`${workers.env}=${config.workers}: expected ${redisUrl.env} as well (the workers share who holds what and relay signaling through Redis, as several instances do)`);
  }
  if (config.workers > 1 && config.acmeDomains.length > 0) {
    // Every worker would order its own certificate, and the CA's challenge fetch may land on a worker that does not know the token.
    throw new ConfigError(`${workers.env}=${config.workers}: not with ${acmeDomains.env} (expected WORKERS=1 with ACME, or certificate files in TLS_CERT_FILE/TLS_KEY_FILE)`);
  }
  const { trackerUrl } = OPTIONS;
  const servesHttps = config.tlsCertFile !== undefined || config.acmeDomains.length > 0 || /^https:/i.test(config.publicUrl ?? '');
  if (config.trackerUrl !== undefined && /^ws:/i.test(config.trackerUrl) && servesHttps) {
    // Browsers refuse a plain ws:// socket from an https page: video would silently fall back to HTTP.
    throw new ConfigError(`${trackerUrl.env}=${JSON.stringify(config.trackerUrl)}: expected a wss:// tracker (visitors' pages are https, and browsers block ws:// from them)`);
  }
}

/** camelCase option name → kebab-case CLI flag. */
export function toFlag(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
