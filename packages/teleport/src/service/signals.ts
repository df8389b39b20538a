/**
 * @module service/signals
 * Process signal handling for `teleport start`:
 * - SIGTERM / SIGINT: graceful shutdown (drain sessions), then exit 0; a second one forces the
 *   shutdown; a third exits at once with status 1 (in case a forced close hangs).
 * - SIGQUIT: fast shutdown (close everything now), then exit 0.
 * Upstream Teleport uses SIGQUIT for graceful and SIGTERM/SIGINT for fast shutdown; we follow the
 * conventions of container runtimes and systemd, which send SIGTERM and expect a drain.
 */
import type { Logger } from '../utils/logger.ts';
import type { Supervisor } from './supervisor.ts';

/** Test seams and tuning for `installSignalHandlers`. */
export interface SignalHandlerOptions {
  /** Where signals come from (default: `process`). */
  emitter?: Pick<NodeJS.Process, 'on' | 'off'>;
  /** How to exit (default: `process.exit`). */
  exit?: (code: number) => void;
  /** Drain budget of a graceful shutdown. */
  gracefulTimeoutMs?: number;
}

/** Installs SIGTERM/SIGINT/SIGQUIT handlers that shut `supervisor` down; returns a function removing them. */
export function installSignalHandlers(supervisor: Supervisor, logger: Logger, opts: SignalHandlerOptions = {}): () => void {
  const emitter = opts.emitter ?? process;
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let exited = false;
  let received = 0;
  const exitOnce = (code: number): void => {
    if (exited) return;
    exited = true;
    exit(code);
  };
  const finish = (p: Promise<void>): void => {
    p.then(() => exitOnce(0), (err: unknown) => {
      logger.error({ err }, 'shutdown failed');
      exitOnce(1);
    });
  };

  const onTerm = (signal: NodeJS.Signals): void => {
    received++;
    if (received === 1) {
      logger.info({ signal }, 'shutting down gracefully; send the signal again to force');
      const shutdownOpts = opts.gracefulTimeoutMs === undefined ? { graceful: true } : { graceful: true, timeoutMs: opts.gracefulTimeoutMs };
      finish(supervisor.shutdown(shutdownOpts));
    } else if (received === 2) {
      logger.warn({ signal }, 'forcing shutdown');
      finish(supervisor.shutdown({ graceful: false }));
    } else {
      logger.error({ signal }, 'exiting without waiting for services');
      exitOnce(1);
    }
  };
  const onQuit = (signal: NodeJS.Signals): void => {
    received++;
    logger.info({ signal }, 'fast shutdown');
    finish(supervisor.shutdown({ graceful: false }));
  };

  emitter.on('SIGTERM', onTerm);
  emitter.on('SIGINT', onTerm);
  emitter.on('SIGQUIT', onQuit);
  return () => {
    emitter.off('SIGTERM', onTerm);
    emitter.off('SIGINT', onTerm);
    emitter.off('SIGQUIT', onQuit);
  };
}
