/**
 * @module client/ssh/splice
 * Joining two byte streams both ways, for forwarded connections.
 */
import type { Duplex } from 'node:stream';

/**
 * Pipes `a` and `b` into each other. An end on one side is passed on as an end (half-close), and
 * when one side closes the other is ended gracefully, so data already written still arrives (and
 * what it still sends is dropped); an error destroys both.
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
  // pipe() stops reading the other side once its destination closed; drop what still arrives there
  // (nobody can receive it), or an ssh2 channel, which closes only after its readable side ended, stays open.
  a.on('close', () => b.end().resume());
  b.on('close', () => a.end().resume());
}
