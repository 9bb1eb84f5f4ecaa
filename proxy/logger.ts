import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs (pino) on stdout; pretty when stdout is a terminal and pino-pretty is
 * installed (it is a dev dependency, so production images stay JSON).
 */
export function createLogger(level: string, name = 'peerconnect'): Logger {
  const pretty = process.stdout.isTTY && process.env.NODE_ENV !== 'production';
  if (pretty) {
    try {
      return pino({ name, level, transport: { target: 'pino-pretty', options: { colorize: true } } });
    } catch {
      // pino-pretty missing: fall through to plain JSON.
    }
  }
  return pino({ name, level });
}

/** Keep only the network part of an address when privacy is strict. */
export function maskAddress(address: string | undefined, strict: boolean): string | undefined {
  if (!strict || address === undefined) return address;
  if (address.includes(':')) return address.split(':').slice(0, 3).join(':') + '::';
  const parts = address.split('.');
  return parts.length === 4 ? `${parts[0]}.${parts[1]}.${parts[2]}.0` : 'masked';
}
