/**
 * @module proxy/db/tlsUpgradePool.test
 * The pooled tls.Servers of newUserTLSUpgrade: handshakes one after another share one server (one
 * secure context); handshakes at the same time each get their own and each resolves with its own
 * client; a server whose handshake failed is not reused; a changed user CA list empties the pool, so
 * a certificate of the old CA is refused on the very next connection. Foreign certificates are
 * refused on a reused server like on a fresh one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo, type Socket } from 'node:net';
import tls from 'node:tls';
import { FakeClock } from '@teleport-ts/api/clock';
import { AccessDeniedError, ConnectionProblemError } from '@teleport-ts/api/errors';
import { generateKeyPair, privateKeyToPEM } from '@teleport-ts/api/keys';
import { createTLSCA, issueTLSCert, type TLSCAKeyPair } from '../../ca/tlsCA.ts';
import { createSelfSigned } from '../selfSignedCert.ts';
import { newUserTLSUpgrade, type UserTLSUpgrade } from './tlsUpgrade.ts';

const clock = new FakeClock(Date.now());

function userCert(ca: TLSCAKeyPair, username: string): { certPEM: string; keyPEM: string } {
  const kp = generateKeyPair('ecdsa-p256');
  const notAfter = new Date(clock.nowMs() + 3600_000);
  const certPEM = issueTLSCert({
    caCertPEM: ca.certPEM, caKeyPEM: ca.keyPEM, publicKey: kp.publicKey, clock, usage: 'client', notAfter,
    identity: { username, groups: [], expires: notAfter },
  });
  return { certPEM, keyPEM: privateKeyToPEM(kp.privateKey) };
}

describe('newUserTLSUpgrade server pool', () => {
  const caA = createTLSCA({ clusterName: 'a', caType: 'user', algorithm: 'ecdsa-p256', clock });
  const caB = createTLSCA({ clusterName: 'b', caType: 'user', algorithm: 'ecdsa-p256', clock });
  let trusted: string[] = [caA.certPEM];
  let upgrade: UserTLSUpgrade;
  let listener: net.Server;
  const results: Array<Promise<string>> = [];

  before(async () => {
    const pair = await createSelfSigned(['localhost'], clock);
    upgrade = newUserTLSUpgrade({ ...pair, userCAs: () => trusted, clock, handshakeTimeoutMs: 5_000 });
    listener = net.createServer((raw: Socket) => {
      // What the upgrade said: the verified CN, or the error kind.
      results.push(upgrade(raw).then(
        (s) => {
          const cn = String(s.getPeerCertificate().subject?.CN);
          s.end(cn);
          return cn;
        },
        (err: unknown) => (err instanceof AccessDeniedError ? 'denied' : err instanceof ConnectionProblemError ? 'failed' : 'other'),
      ));
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  });

  after(() => {
    upgrade.close();
    listener.close();
  });

  /** A TLS client with `cert` (or none); resolves with what the server sent back ('' when nothing). */
  const connect = (cert?: { certPEM: string; keyPEM: string }): Promise<string> => new Promise((resolve) => {
    const { port } = listener.address() as AddressInfo;
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(cert && { cert: cert.certPEM, key: cert.keyPEM }) });
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('error', () => undefined);
    s.on('close', () => resolve(got));
  });
  const lastResult = async (): Promise<string> => (results.at(-1) as Promise<string>);

  it('reuses one server for handshakes one after another, refusing foreign certificates on it', async () => {
    const before = upgrade.serversBuilt;
    assert.equal(await connect(userCert(caA, 'alice')), 'alice');
    assert.equal(await lastResult(), 'alice');
    await connect(userCert(caB, 'mallory'));
    assert.equal(await lastResult(), 'denied');
    assert.equal(await connect(userCert(caA, 'bob')), 'bob');
    await connect();
    assert.equal(await lastResult(), 'denied');
    assert.equal(upgrade.serversBuilt - before, 1);
  });

  it('gives handshakes at the same time their own servers, each resolving with its own client', async () => {
    const names = ['c1', 'c2', 'c3', 'c4'];
    const got = await Promise.all(names.map((n) => connect(userCert(caA, n))));
    assert.deepEqual(got, names);
    assert.ok(upgrade.serversBuilt >= 2, `expected more than one server, built ${upgrade.serversBuilt}`);
  });

  it('does not reuse a server whose handshake failed', async () => {
    // Drain the pool's idle servers into handshakes that fail: each failure drops its server.
    const built = upgrade.serversBuilt;
    const { port } = listener.address() as AddressInfo;
    for (let i = 0; i < 8; i++) {
      await new Promise<void>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
        s.on('error', () => undefined);
        s.on('close', () => resolve());
      });
      assert.equal(await lastResult(), 'failed');
    }
    // At most the servers that were idle got used up; the next good handshake works (maybe on a new one).
    assert.equal(await connect(userCert(caA, 'after')), 'after');
    assert.ok(upgrade.serversBuilt > built, 'failed handshakes used up their servers');
  });

  it('applies a CA rotation to the next connection', async () => {
    const built = upgrade.serversBuilt;
    trusted = [caB.certPEM];
    await connect(userCert(caA, 'old'));
    assert.equal(await lastResult(), 'denied');
    assert.equal(await connect(userCert(caB, 'new')), 'new');
    assert.ok(upgrade.serversBuilt > built);
    trusted = [caA.certPEM, caB.certPEM];
    assert.equal(await connect(userCert(caA, 'both-a')), 'both-a');
    assert.equal(await connect(userCert(caB, 'both-b')), 'both-b');
  });
});
