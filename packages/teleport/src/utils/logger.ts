/**
 * @module utils/logger
 * The one structured logger (pino). Every service logs JSON lines with a `component` field
 * ("auth", "proxy", "backend:sqlite", ...). Never log secrets, tokens or private keys: the
 * redact list below is a safety net, not a licence.
 */
import { pino, destination, stdTimeFunctions, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Log output format. */
export type LogFormat = 'json' | 'text';

/** Options for the root logger. */
export interface LoggerOptions {
  /** pino level name: trace, debug, info, warn, error; Teleport's severity names are mapped by config. */
  level?: string;
  /** Where lines go; defaults to stderr. */
  destination?: DestinationStream;
}

/** Field paths that must never be printed even if a caller passes them by mistake. */
const REDACT = ['password', 'token', 'privateKey', 'private_key', 'key', 'otp', 'secret', '*.password', '*.token', '*.privateKey', '*.secret'];

/** Creates the process's root logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: stdTimeFunctions.isoTime,
      redact: { paths: REDACT, censor: '[REDACTED]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? destination({ fd: 2, sync: true }),
  );
}

/** A logger that discards everything; the default for library code and tests. */
export const silentLogger: Logger = pino({ level: 'silent' });

/** Returns a child logger tagged with `component`. */
export function componentLogger(parent: Logger, component: string): Logger {
  return parent.child({ component });
}
