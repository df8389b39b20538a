/**
 * @module sshutils/opensshClient.test
 * The real OpenSSH `ssh` client against an ssh2 Server using sshServerHostKeys + verifyUserCertAuth:
 * ssh verifies our host certificate through an `@cert-authority` known_hosts line
 * (StrictHostKeyChecking=yes) and logs in with a user certificate; bad certificates are refused with
 * the reason the server recorded.
 *
 * Patches covered: 002 (server-host-cert-kex-signature) - without it every ssh here fails with
 * "key type does not match" (ECDSA host keys also need its convertSignature change); 001
 * (server-sig-algs-comma) - the "server-sig-algs" test.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeyAlgorithm } from '@teleport-ts/api/keys';
import { sshServerHostKeys } from './hostKeys.ts';
import type { UserCertAuthFailure } from './userCertAuth.ts';
import {
  clockAgo, hasOpenSSH, hostCert, makeCA, makeKey, runSSH, startSSH2Server, userCert, withTempDir, writePrivate,
  type RunResult, type TestCA, type TestKey, type TestSSH2Server,
} from './testkit.ts';

interface Setup {
  hostCA: TestCA;
  userCA: TestCA;
  server: TestSSH2Server;
}

/** Starts an ssh2 server whose host key (of `hostAlg`) is certified by a fresh host CA. */
async function setup(hostAlg: KeyAlgorithm, caAlg: KeyAlgorithm, hostCA = makeCA(caAlg)): Promise<Setup> {
  const userCA = makeCA(caAlg);
  const hostKey = makeKey(hostAlg);
  const server = await startSSH2Server({
    hostKeys: sshServerHostKeys({ privateKeyPEM: hostKey.pem, hostCertLine: hostCert(hostCA, hostKey) }),
    userCAKeys: [userCA.blob],
  });
  return { hostCA, userCA, server };
}

let keySeq = 0;

/** Runs `ssh -p port login@127.0.0.1 command` with the key, optional certificate and a known_hosts trusting `trustedHostCA`. */
async function ssh(
  dir: string, s: Setup, opts: { key: TestKey; certLine?: string; login?: string; trustedHostCA?: TestCA; extra?: string[] },
): Promise<RunResult> {
  // A fresh name each time: ssh also loads "<IdentityFile>-cert.pub" when it exists.
  const name = `id${++keySeq}`;
  const keyPath = await writePrivate(dir, name, opts.key.openssh);
  const args = ['-o', `IdentityFile=${keyPath}`];
  if (opts.certLine) {
    await writeFile(join(dir, `${name}-cert.pub`), `${opts.certLine}\n`);
    args.push('-o', `CertificateFile=${join(dir, `${name}-cert.pub`)}`);
  }
  const knownHosts = join(dir, 'known_hosts');
  await writeFile(knownHosts, `@cert-authority * ${(opts.trustedHostCA ?? s.hostCA).line}\n`);
  args.push('-o', `UserKnownHostsFile=${knownHosts}`, ...(opts.extra ?? []), '-p', String(s.server.port), '-l', opts.login ?? 'root', '127.0.0.1', 'echo hello');
  return runSSH(args);
}

const failures = (s: Setup): UserCertAuthFailure[] => s.server.results.filter((r): r is UserCertAuthFailure => !r.ok);

describe('OpenSSH client -> ssh2 server with certificates', { skip: !hasOpenSSH && 'OpenSSH is not installed' }, () => {
  const matrix: [KeyAlgorithm, KeyAlgorithm, KeyAlgorithm][] = [
    ['ed25519', 'ed25519', 'ed25519'],
    ['ecdsa-p256', 'ecdsa-p256', 'ecdsa-p256'],
    ['rsa-2048', 'ecdsa-p256', 'rsa-2048'],
  ];
  for (const [hostAlg, userAlg, caAlg] of matrix) {
    test(`exec works: ${hostAlg} host key, ${userAlg} user key, ${caAlg} CAs`, () => withTempDir(async (dir) => {
      const s = await setup(hostAlg, caAlg);
      try {
        const key = makeKey(userAlg);
        const res = await ssh(dir, s, { key, certLine: userCert(s.userCA, key), extra: ['-v'] });
        assert.equal(res.code, 0, res.stderr);
        assert.equal(res.stdout, 'hello\n');
        assert.match(res.stderr, /is known and matches the (ED25519|ECDSA|RSA)-CERT host certificate/);
        const proven = s.server.results.find((r) => r.ok && r.proven);
        assert.ok(proven && proven.ok, 'the server saw a signed certificate attempt');
        assert.equal(proven.identity.username, 'alice');
        assert.deepEqual(proven.identity.roles, ['access']);
      } finally {
        await s.server.close();
      }
    }));
  }

  test('refusals: wrong CA, expired, login not a principal, plain key', () => withTempDir(async (dir) => {
    const s = await setup('ed25519', 'ed25519');
    try {
      const key = makeKey('ed25519');
      const cases: { name: string; certLine?: string; login?: string; code: string; reason: RegExp }[] = [
        { name: 'wrong CA', certLine: userCert(makeCA(), key), code: 'unknown_ca', reason: /unknown certificate authority/ },
        { name: 'expired', certLine: userCert(s.userCA, key, { clock: clockAgo(7_200_000) }), code: 'expired', reason: /expired 1h\d*m? ago: run 'tsh login'/ },
        { name: 'login', certLine: userCert(s.userCA, key), login: 'bob', code: 'login_not_permitted', reason: /login 'bob' is not a principal .*principals: root, alice/ },
        { name: 'plain key', code: 'not_certificate', reason: /plain ssh-ed25519 key .* run 'tsh login'/ },
      ];
      for (const c of cases) {
        s.server.results.length = 0;
        const res = await ssh(dir, s, { key, ...(c.certLine && { certLine: c.certLine }), ...(c.login && { login: c.login }) });
        assert.equal(res.code, 255, `${c.name}: ssh must fail`);
        assert.match(res.stderr, /Permission denied \(publickey\)/, c.name);
        assert.ok(!s.server.results.some((r) => r.ok && r.proven), `${c.name}: nothing was accepted`);
        const seen = failures(s).find((f) => f.code === c.code);
        assert.ok(seen, `${c.name}: server saw ${c.code}, got ${JSON.stringify(failures(s).map((f) => f.code))}`);
        assert.match(seen.reason, c.reason, c.name);
        assert.equal(seen.login, c.login ?? 'root');
      }
    } finally {
      await s.server.close();
    }
  }));

  test('ssh refuses a host certificate signed by another CA', () => withTempDir(async (dir) => {
    const s = await setup('ed25519', 'ed25519');
    try {
      const key = makeKey('ed25519');
      const res = await ssh(dir, s, { key, certLine: userCert(s.userCA, key), trustedHostCA: makeCA() });
      assert.equal(res.code, 255);
      assert.match(res.stderr, /Host key verification failed/);
      assert.equal(s.server.results.length, 0, 'ssh stopped before authenticating');
    } finally {
      await s.server.close();
    }
  }));

  // Patch 001: without the comma, server-sig-algs reads "...nistp521rsa-sha2-512,..." and OpenSSH
  // falls back to rsa-sha2-256 for RSA keys.
  test('server-sig-algs lists rsa-sha2-512 and ecdsa-sha2-nistp521; RSA certificates use rsa-sha2-512', () => withTempDir(async (dir) => {
    const s = await setup('ed25519', 'ed25519');
    try {
      const key = makeKey('rsa-2048');
      const res = await ssh(dir, s, { key, certLine: userCert(s.userCA, key), extra: ['-v'] });
      assert.equal(res.code, 0, res.stderr);
      const algs = /server-sig-algs=<([^>]*)>/.exec(res.stderr)?.[1]?.split(',') ?? [];
      for (const alg of ['rsa-sha2-512', 'rsa-sha2-256', 'ecdsa-sha2-nistp521', 'ssh-ed25519']) assert.ok(algs.includes(alg), `${alg} in ${algs.join(',')}`);
      assert.equal(s.server.algos.at(-1), 'rsa-sha2-512-cert-v01@openssh.com');
    } finally {
      await s.server.close();
    }
  }));
});
