import { isIP } from 'node:net';
import { pino, type DestinationStream, type Logger } from 'pino';
import { normalizeAddress } from './utils/ip-address.js';
import type { Config } from './config/options.js';

export type { Logger };

export interface LoggerOptions {
  name?: string;
  /** `strict` masks IP addresses in every log line (to /24 for IPv4, /48 for IPv6). */
  privacy?: 'normal' | 'strict';
  /** Values that must never appear in logs (admin token, passwords in URLs). */
  secrets?: readonly (string | undefined)[];
  /** Where lines go (tests); stdout otherwise. */
  destination?: DestinationStream;
}

const REDACTED = '[redacted]';
/** Keys whose values are secrets wherever they appear in a log object. */
const SECRET_KEYS = /^(authorization|proxy-authorization|cookie|set-cookie|token|admintoken|password|secret|turnsecret|credential)$/i;
/** Query parameters that carry credentials (the dashboard accepts `?token=`). */
const SECRET_PARAMS = /([?&](?:token|access_token|auth|password|key)=)[^&#\s"']*/gi;
const URL_USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@"']+@/gi;
const IPV4 = /(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d.])/g;
/** Candidates only: each match is confirmed with isIP before it is masked. */
const IPV6_CANDIDATE = /(?<![0-9a-f:])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?![0-9a-f:])/gi;
const MAX_DEPTH = 5;
const MAX_ARRAY = 50;
const MIN_SECRET_LENGTH = 4;
/** Shorter IPv6-looking text (`::1`, `a::b`) is more often code or a label than an address worth masking. */
const MIN_IPV6_TEXT = 6;

/**
 * JSON logs (pino) on stdout; pretty when stdout is a terminal and pino-pretty is
 * installed (it is a dev dependency, so production images stay JSON). Every line
 * passes a scrubber: secrets and credential-like fields are always redacted, and
 * with privacy `strict` IP addresses are masked wherever they occur, so a log call
 * added anywhere later cannot leak them by accident.
 */
export function createLogger(level: string, nameOrOptions: string | LoggerOptions = {}): Logger {
  const options: LoggerOptions = typeof nameOrOptions === 'string' ? { name: nameOrOptions } : nameOrOptions;
  const name = options.name ?? 'peerconnect';
  const scrub = makeScrubber(options.privacy === 'strict', options.secrets ?? []);
  const base = {
    name,
    level,
    hooks: {
      logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void) {
        method.apply(this, args.map((arg) => scrub(arg, 0)));
      },
    },
  };
  if (options.destination) return pino(base, options.destination);
  const pretty = process.stdout.isTTY && process.env.NODE_ENV !== 'production';
  if (pretty) {
    try {
      return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true } } });
    } catch {
      // pino-pretty missing: fall through to plain JSON.
    }
  }
  return pino(base);
}

/** Logger options that follow the config: privacy mode and the secrets it holds. */
export function loggerOptionsFor(
  config: Pick<Config, 'privacy' | 'adminToken' | 'redisUrl' | 'origin' | 'proxyUrl'> & Partial<Pick<Config, 'turnSecret' | 'iceServers'>>,
): LoggerOptions {
  return {
    privacy: config.privacy,
    secrets: [
      config.adminToken,
      ...[config.redisUrl, config.origin, config.proxyUrl].map(passwordOf),
      // The TURN REST secret mints credentials for anyone who holds it; static TURN passwords are long-lived.
      config.turnSecret,
      ...(config.iceServers ?? []).map((server) => server.credential),
    ],
  };
}

function passwordOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    return parsed.password ? decodeURIComponent(parsed.password) : undefined;
  } catch {
    return undefined;
  }
}

type Scrub = (value: unknown, depth: number) => unknown;

/** Log keys seen so far and whether they name secrets: the same few keys recur on every line. */
const secretKeyCache = new Map<string, boolean>();
const SECRET_KEY_CACHE_MAX = 1024;

function isSecretKey(key: string): boolean {
  let secret = secretKeyCache.get(key);
  if (secret === undefined) {
    secret = SECRET_KEYS.test(key);
    if (secretKeyCache.size < SECRET_KEY_CACHE_MAX) secretKeyCache.set(key, secret);
  }
  return secret;
}

function makeScrubber(strict: boolean, secrets: readonly (string | undefined)[]): Scrub {
  const literal = secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH);
  const scrubString = (text: string): string => {
    let out = text;
    for (const secret of literal) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    // Every log line passes here (the access log once per request): the regular
    // expressions run only when their anchor character is present.
    if (out.includes('=')) out = out.replace(SECRET_PARAMS, `$1${REDACTED}`);
    if (out.includes('@')) out = out.replace(URL_USERINFO, `$1${REDACTED}@`);
    if (strict) out = maskAddressesIn(out);
    return out;
  };
  const scrub: Scrub = (value, depth) => {
    if (typeof value === 'string') return scrubString(value);
    if (value === null || typeof value !== 'object') return value;
    if (depth >= MAX_DEPTH) return '[nested]';
    if (value instanceof Error) {
      const err = value as Error & { code?: unknown };
      return {
        type: err.name,
        message: scrubString(err.message),
        stack: err.stack === undefined ? undefined : scrubString(err.stack),
        code: err.code,
        cause: err.cause === undefined ? undefined : scrub(err.cause, depth + 1),
      };
    }
    if (Array.isArray(value)) return value.slice(0, MAX_ARRAY).map((item) => scrub(item, depth + 1));
    if (value instanceof URL) return scrubString(value.href);
    const out: Record<string, unknown> = {};
    const record = value as Record<string, unknown>;
    // for…in over own keys: the same keys as Object.entries without its array of pairs.
    for (const key in record) {
      if (!Object.hasOwn(record, key)) continue;
      const inner = record[key];
      if (inner === undefined) out[key] = inner;
      else if (isSecretKey(key)) out[key] = REDACTED;
      else out[key] = typeof inner === 'string' || typeof inner === 'object' ? scrub(inner, depth + 1) : inner;
    }
    return out;
  };
  return scrub;
}

/** Masks every IPv4 and IPv6 address inside free text. */
export function maskAddressesIn(text: string): string {
  return text
    .replace(IPV4, (match) => (isIP(match) === 4 ? (maskAddress(match, true) as string) : match))
    .replace(IPV6_CANDIDATE, (match) => (match.length >= MIN_IPV6_TEXT && isIP(match) === 6 ? (maskAddress(match, true) as string) : match));
}

/** Keep only the network part of an address when privacy is strict (/24 for IPv4, /48 for IPv6). */
export function maskAddress(address: string | undefined, strict: boolean): string | undefined {
  if (!strict || address === undefined) return address;
  address = normalizeAddress(address);
  if (isIP(address) === 6) {
    const groups = expandIpv6(address);
    return `${groups.slice(0, 3).join(':')}::`;
  }
  const parts = address.split('.');
  return parts.length === 4 && isIP(address) === 4 ? `${parts[0]}.${parts[1]}.${parts[2]}.0` : 'masked';
}

function expandIpv6(address: string): string[] {
  const [head = '', tail] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? [] : Array(Math.max(0, 8 - left.length - right.length)).fill('0');
  return [...left, ...fill, ...right].map((group) => group.replace(/^0+(?=.)/, '').toLowerCase());
}
