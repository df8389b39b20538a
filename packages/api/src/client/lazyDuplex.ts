/**
 * @module client/lazyDuplex
 * A Duplex that exists at once but whose bytes flow through a connection established later.
 * http2.connect wants `createConnection` to return a socket synchronously; dialing auth through the
 * proxy takes an HTTPS round trip first, so we hand http2 (via TLS) this stand-in and connect behind it.
 */
import { Duplex } from 'node:stream';

/** Returns a Duplex bridged to the stream `connect` resolves with; writes before that are buffered. */
export function lazyDuplex(connect: () => Promise<Duplex>): Duplex {
  let target: Duplex | undefined;
  const pending: Array<{ chunk: Buffer; cb: (err?: Error | null) => void }> = [];
  let failed: Error | undefined;
  const bridge = new Duplex({
    read() {
      target?.resume();
    },
    write(chunk: Buffer, _enc, cb) {
      if (failed) return cb(failed);
      if (target) return void target.write(chunk, cb);
      pending.push({ chunk, cb });
    },
    final(cb) {
      if (target) target.end(cb);
      else cb();
    },
    destroy(err, cb) {
      target?.destroy(err ?? undefined);
      cb(err);
    },
  });
  connect().then(
    (t) => {
      target = t;
      t.on('data', (d: Buffer) => {
        if (!bridge.push(d)) t.pause();
      });
      t.on('end', () => bridge.push(null));
      t.on('error', (e) => bridge.destroy(e));
      t.on('close', () => {
        if (!bridge.destroyed) bridge.destroy();
      });
      for (const p of pending.splice(0)) t.write(p.chunk, p.cb);
    },
    (err: unknown) => {
      failed = err instanceof Error ? err : new Error(String(err));
      for (const p of pending.splice(0)) p.cb(failed);
      bridge.destroy(failed);
    },
  );
  return bridge;
}
