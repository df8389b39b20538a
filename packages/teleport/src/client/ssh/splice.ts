/**
 * @module client/ssh/splice
 * Joining two byte streams both ways, for forwarded connections.
 */
import type { Duplex } from 'node:stream';

/**
 * Pipes `a` and `b` into each other. An end on one side is passed on as an end (half-close), and
 * when one side closes the other is ended gracefully, so data already written still arrives; an
 * error destroys both.
 */
export function splice(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const fail = (): void => {
    a.destroy();
    b.destroy();
  };
  a.on('error', fail);
  b.on('error', fail);
  a.on('close', () => b.end());
  b.on('close', () => a.end());
}
