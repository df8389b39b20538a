/**
 * @module ca/randomPool
 * Random bytes for certificate serial numbers and nonces, drawn from the CSPRNG in 4 KiB batches. A
 * `randomBytes(16)` call costs a few microseconds of fixed overhead (an allocation and a call into
 * OpenSSL), which showed up in the issuance profile; one batch serves a few hundred certificates. Every
 * byte is handed out once. The values are public once issued (they are in the certificates), so holding
 * them in memory briefly exposes nothing.
 */
import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let offset = POOL_SIZE;

/** `n` fresh random bytes (a copy, never shared with another caller). */
export function randomPoolBytes(n: number): Buffer {
  if (n > POOL_SIZE / 4) return randomFillSync(Buffer.alloc(n));
  if (offset + n > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = Buffer.from(pool.subarray(offset, offset + n));
  // Wipe what was handed out, so a bug elsewhere cannot hand the same bytes out twice.
  pool.fill(0, offset, offset + n);
  offset += n;
  return out;
}
