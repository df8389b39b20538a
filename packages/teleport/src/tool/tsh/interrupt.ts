/**
 * @module tool/tsh/interrupt
 * Waiting for the user to stop a long-running command (`tsh ssh -N`, an observer in `tsh join`):
 * Ctrl-C (SIGINT), SIGTERM, the context's abort signal (tests), or the connection going away.
 */
import type { Client } from 'ssh2';
import type { TshContext } from './context.ts';

/** Resolves when interrupted or when `conn` closes. */
export function waitForInterrupt(ctx: TshContext, conn: Client): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      ctx.signal?.removeEventListener('abort', done);
      conn.off('close', done);
      resolve();
    };
    if (ctx.signal?.aborted) return done();
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
    ctx.signal?.addEventListener('abort', done);
    conn.on('close', done);
  });
}
