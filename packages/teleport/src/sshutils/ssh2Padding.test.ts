/**
 * @module sshutils/ssh2Padding.test
 * Patch 005 (pooled-random-padding, lib/protocol/crypto.js): packet padding comes from a pool of
 * CSPRNG bytes refilled 4 KiB at a time, not from one randomFillSync call per packet (which cost
 * more than the encryption in bulk transfers). Checked by loading a fresh copy of ssh2's crypto
 * module with a counting `crypto.randomFillSync`; end-to-end traffic with the patch is covered by
 * the round-trip and OpenSSH tests next to this file.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const requireHere = createRequire(import.meta.url);

interface CipherLike {
  allocPacket(payloadLen: number): Buffer;
}
interface CryptoModule {
  CIPHER_INFO: Record<string, { keyLen: number; ivLen: number }>;
  createCipher(config: unknown): CipherLike;
}

/** ssh2's lib/protocol/crypto.js, evaluated afresh with `require('crypto')` counting randomFillSync calls. */
function loadCountingCrypto(): { mod: CryptoModule; calls: () => number } {
  const file = requireHere.resolve('ssh2/lib/protocol/crypto.js');
  const realRequire = createRequire(file);
  let calls = 0;
  const countingCrypto = {
    ...crypto,
    randomFillSync: (...args: Parameters<typeof crypto.randomFillSync>) => {
      calls++;
      return crypto.randomFillSync(...args);
    },
  };
  const module = { exports: {} as CryptoModule };
  const fakeRequire = (id: string): unknown => (id === 'crypto' ? countingCrypto : realRequire(id));
  // Evaluated as Node evaluates a CommonJS file, with our require.
  new Function('exports', 'require', 'module', '__filename', '__dirname', readFileSync(file, 'utf8'))(module.exports, fakeRequire, module, file, dirname(file));
  return { mod: module.exports, calls: () => calls };
}

describe('ssh2 patch 005: pooled random padding', () => {
  for (const name of ['chacha20-poly1305@openssh.com', 'aes128-gcm@openssh.com', 'aes128-ctr']) {
    test(`${name}: padding is random and costs one randomFillSync per 4 KiB, not one per packet`, () => {
      const { mod, calls } = loadCountingCrypto();
      const info = mod.CIPHER_INFO[name];
      assert.ok(info, name);
      const cipher = mod.createCipher({
        outbound: {
          onWrite: () => undefined, cipherInfo: info, cipherKey: Buffer.alloc(info.keyLen), cipherIV: Buffer.alloc(info.ivLen),
          seqno: 0, macInfo: { sslName: 'sha256', len: 32, actualLen: 32, isETM: false }, macKey: Buffer.alloc(32),
        },
      });
      const paddings: string[] = [];
      for (let i = 0; i < 1000; i++) {
        const payloadLen = 1 + (i % 300);
        const packet = cipher.allocPacket(payloadLen);
        const padLen = packet[4] as number;
        assert.ok(padLen >= 4, 'at least 4 bytes of padding');
        paddings.push(packet.subarray(5 + payloadLen, 5 + payloadLen + padLen).toString('hex'));
      }
      // At most 19 bytes of padding per packet here: about 19,000 bytes, 5 pool refills.
      assert.ok(calls() <= 6, `randomFillSync was called ${calls()} times for 1000 packets`);
      assert.equal(new Set(paddings).size, paddings.length, 'no padding repeats');
      const bytes = Buffer.from(paddings.join(''), 'hex');
      assert.ok(new Set(bytes).size > 200, 'padding bytes look random');
    });
  }
});
