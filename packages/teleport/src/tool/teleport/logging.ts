/**
 * @module tool/teleport/logging
 * The daemon's logger from the `teleport.log` settings: JSON lines (default) or pino's text form,
 * to stderr, stdout or a file.
 */
import { pino, destination } from 'pino';
import type { LogConfig } from '../../config/serviceConfig.ts';
import { createLogger, type Logger } from '../../utils/logger.ts';
import type { CLIIO } from '../common/cli.ts';

/** Creates the process logger. */
export function createProcessLogger(log: LogConfig, io: CLIIO): Logger {
  const level = log.severity;
  if (log.output === 'stderr' && io.stderr !== process.stderr) {
    // In-process runs (tests) pass their own stream.
    return createLogger({ level, destination: { write: (s: string) => void io.stderr.write(s) } as never });
  }
  const dest =
    log.output === 'stdout' ? destination({ fd: 1, sync: true })
    : log.output === 'stderr' ? destination({ fd: 2, sync: true })
    : destination({ dest: log.output, mkdir: true, sync: true });
  return createLogger({ level, destination: dest });
}

export { pino };
