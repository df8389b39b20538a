/**
 * @module sshcert/testdata/fixtures
 * Test-only helpers for the sshcert tests: the fixed keys in this directory, the golden certificate
 * fields (fixed nonce, serial and times so Ed25519-signed certificates are byte-for-byte reproducible),
 * and a wrapper around the real `ssh-keygen` in a throwaway directory.
 */
import { createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CertificateFields } from '../certificate.ts';
import { sshPublicKeyBlob } from '../publicKey.ts';

/** Directory holding the fixture files. */
export const TESTDATA = dirname(fileURLToPath(import.meta.url));

/** The three key kinds every test runs over. */
export const KEY_KINDS = ['ed25519', 'ecdsa', 'rsa'] as const;
/** One of {@link KEY_KINDS}. */
export type KeyKind = (typeof KEY_KINDS)[number];

/** A fixed private key from testdata ("ca-ed25519", "subject-rsa", ...). */
export async function loadKey(name: `${'ca' | 'subject'}-${KeyKind}`): Promise<KeyObject> {
  return createPrivateKey(await readFile(join(TESTDATA, `${name}.pem`), 'utf8'));
}

/** 2026-01-01T00:00:00Z, the FakeClock default. */
export const T0 = Date.UTC(2026, 0, 1) / 1000;

/** Fields of the golden user certificate (subject and CA keys vary by test). */
export function goldenUserFields(publicKey: Buffer): CertificateFields {
  return {
    type: 'user',
    nonce: createHash('sha256').update('golden user nonce').digest(),
    publicKey,
    serial: 42n,
    keyId: 'alice',
    principals: ['alice', 'root'],
    validAfter: T0 - 60,
    validBefore: T0 + 12 * 3600,
    criticalOptions: { 'source-address': '10.0.0.0/8,192.168.1.1/32' },
    extensions: {
      'permit-pty': '',
      'permit-port-forwarding': '',
      'teleport-roles': '{"roles":["access","editor"]}',
      'login-ip': '192.168.1.1',
    },
  };
}

/** Fields of the golden host certificate: no expiry, Teleport's host extensions. */
export function goldenHostFields(publicKey: Buffer): CertificateFields {
  return {
    type: 'host',
    nonce: createHash('sha256').update('golden host nonce').digest(),
    publicKey,
    serial: 7n,
    keyId: 'host-1.example.com',
    principals: ['host-1.example.com', 'host-1', 'localhost'],
    validAfter: T0 - 60,
    validBefore: Number.MAX_SAFE_INTEGER,
    criticalOptions: {},
    extensions: { 'x-teleport-role': 'Node', 'x-teleport-authority': 'example.com' },
  };
}

/** The public blob of a fixture key. */
export async function fixtureBlob(name: Parameters<typeof loadKey>[0]): Promise<Buffer> {
  return sshPublicKeyBlob(await loadKey(name));
}

/** True when a real ssh-keygen is on PATH; tests that need it are skipped otherwise. */
export const hasSshKeygen = !spawnSync('ssh-keygen', ['-?'], { stdio: 'ignore' }).error;

/** Runs ssh-keygen in UTC (it prints validity in local time) and returns stdout; throws with stderr on failure. */
export function sshKeygen(args: string[], cwd?: string): string {
  return execFileSync('ssh-keygen', args, {
    cwd,
    env: { ...process.env, TZ: 'UTC' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs `fn` with a fresh temporary directory that is removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T> | T): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'sshcert-test-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
