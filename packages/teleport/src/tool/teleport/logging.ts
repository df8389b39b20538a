/**
 * @module tool/teleport/logging
 * The daemon's logger from the `teleport.log` settings: text (default, like upstream) or JSON lines,
 * to stderr, stdout or a file.
 */
import { destination } from 'pino';
import type { LogConfig } from '../../config/serviceConfig.ts';
import { createLogger, type Logger } from '../../utils/logger.ts';
import { textLogStream } from '../../utils/textLogStream.ts';
import type { CLIIO } from '../common/cli.ts';

/** Creates the process logger. */
export function createProcessLogger(log: LogConfig, io: CLIIO): Logger {
  const level = log.severity;
  let write: (s: string) => void;
  if (log.output === 'stderr' && io.stderr !== process.stderr) {
    // In-process runs (tests) pass their own stream.
    write = (s) => void io.stderr.write(s);
  } else {
    const dest =
      log.output === 'stdout' ? destination({ fd: 1, sync: true })
      : log.output === 'stderr' ? destination({ fd: 2, sync: true })
      : destination({ dest: log.output, mkdir: true, sync: true });
    write = (s) => void dest.write(s);
  }
  const sink = log.format === 'json' ? { write } : textLogStream(write);
  return createLogger({ level, destination: sink as never });
}
