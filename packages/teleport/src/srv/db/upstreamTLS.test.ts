/**
 * @module srv/db/upstreamTLS.test
 * The upstream TLS options per tls.mode (and their shared secure contexts, checked with real
 * handshakes), and the per-user client certificate cache.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '@teleport-ts/api/clock';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { generateKeyPair, privateKeyToPEM, publicKeyFromPEM } from '@teleport-ts/api/keys';
import { createTLSCA, issueTLSCert } from '../../ca/tlsCA.ts';
import { UpstreamCertCache, upstreamTLSOptions, uriHost } from './upstreamTLS.ts';

const clock = new FakeClock(Date.now());
const dbCA = createTLSCA({ clusterName: 'c', caType: 'db', algorithm: 'ecdsa-p256', clock });
const otherCA = createTLSCA({ clusterName: 'other', caType: 'db', algorithm: 'ecdsa-p256', clock });

/** A key pair and a certificate from `ca` (client or server). */
function issued(ca: { certPEM: string; keyPEM: string }, name: string, usage: 'client' | 'server'): { keyPEM: string; certPEM: string } {
  const kp = generateKeyPair('ecdsa-p256');
  const notAfter = new Date(clock.nowMs() + 3600_000);
  const certPEM = issueTLSCert({
    caCertPEM: ca.certPEM, caKeyPEM: ca.keyPEM, publicKey: kp.publicKey, clock, usage, notAfter,
    identity: { username: name, groups: [], expires: notAfter }, ...(usage === 'server' && { dnsNames: [name], ipAddresses: ['127.0.0.1'] }),
  });
  return { keyPEM: privateKeyToPEM(kp.privateKey), certPEM };
}

const client = issued(dbCA, 'alice', 'client');
const cert = { ...client, caCerts: [dbCA.certPEM], useUntilMs: 0 };

it('verify-full checks the CA and the host name (server_name, else the uri host; no SNI for IPs)', () => {
  const full = upstreamTLSOptions('db.internal:5432', { mode: 'verify-full' }, cert);
  assert.deepEqual([full.rejectUnauthorized, full.servername, full.ca, full.cert], [true, 'db.internal', [dbCA.certPEM], client.certPEM]);
  assert.equal(typeof full.checkServerIdentity, 'function');
  const named = upstreamTLSOptions('10.0.0.5:5432', { mode: 'verify-full', server_name: 'pg.example.com', ca_cert: otherCA.certPEM }, cert);
  assert.deepEqual([named.servername, named.ca], ['pg.example.com', [otherCA.certPEM]]);
  assert.equal(upstreamTLSOptions('10.0.0.5:5432', { mode: 'verify-full' }, cert).servername, undefined);
  assert.deepEqual([uriHost('[::1]:3306'), uriHost('db:1')], ['::1', 'db']);
  // One secure context per certificate and CA list.
  assert.equal(full.secureContext, upstreamTLSOptions('db:1', { mode: 'verify-ca' }, cert).secureContext);
  assert.notEqual(full.secureContext, named.secureContext);
  assert.notEqual(full.secureContext, upstreamTLSOptions('db:1', { mode: 'verify-full' }, { ...cert }).secureContext);
});

it('verify-ca skips the name check; insecure skips verification', () => {
  const ca = upstreamTLSOptions('db:5432', { mode: 'verify-ca' }, cert);
  assert.equal(ca.rejectUnauthorized, true);
  assert.equal(ca.checkServerIdentity?.('x', {} as never), undefined);
  assert.equal(upstreamTLSOptions('db:5432', { mode: 'insecure' }, cert).rejectUnauthorized, false);
});

/** Connects with `opts` to a TLS server presenting `server`; resolves with the client certificate's CN the server saw, or the error. */
async function handshake(server: { keyPEM: string; certPEM: string }, opts: tls.ConnectionOptions): Promise<string | Error> {
  const srv = tls.createServer({ key: server.keyPEM, cert: server.certPEM, ca: [dbCA.certPEM], requestCert: true, rejectUnauthorized: true });
  const seen = new Promise<string>((resolve) => srv.once('secureConnection', (s: tls.TLSSocket) => {
    resolve(String(s.getPeerCertificate().subject?.CN));
    s.end();
  }));
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  try {
    return await new Promise<string | Error>((resolve) => {
      const sock = tls.connect({ ...opts, host: '127.0.0.1', port });
      sock.once('secureConnect', () => {
        void seen.then((cn) => {
          sock.destroy();
          resolve(cn);
        });
      });
      sock.once('error', (err) => resolve(err));
    });
  } finally {
    srv.close();
  }
}

it('presents the client certificate and verifies the server against the CA of the options', async () => {
  const good = issued(dbCA, 'localhost', 'server');
  const foreign = issued(otherCA, 'localhost', 'server');
  assert.equal(await handshake(good, upstreamTLSOptions('localhost:5432', { mode: 'verify-full' }, cert)), 'alice');
  const refused = await handshake(foreign, upstreamTLSOptions('localhost:5432', { mode: 'verify-full' }, cert));
  assert.ok(refused instanceof Error, 'a server certificate from another CA is refused');
  assert.equal(await handshake(foreign, upstreamTLSOptions('localhost:5432', { mode: 'verify-full', ca_cert: otherCA.certPEM }, cert)), 'alice');
  const wrongName = await handshake(good, upstreamTLSOptions('db.internal:5432', { mode: 'verify-full' }, cert));
  assert.ok(wrongName instanceof Error, 'verify-full checks the name');
  assert.equal(await handshake(good, upstreamTLSOptions('db.internal:5432', { mode: 'verify-ca' }, cert)), 'alice');
  assert.equal(await handshake(foreign, upstreamTLSOptions('localhost:5432', { mode: 'insecure' }, cert)), 'alice');
});

it('caches a certificate per db user until five minutes before it expires', async () => {
  const clock = new FakeClock();
  const ca = createTLSCA({ clusterName: 'c', caType: 'db', algorithm: 'ecdsa-p256', clock });
  const calls: string[] = [];
  const authClient = {
    generateDatabaseCert: async (r: { tlsPublicKey: string; commonName: string; ttlMs: number }) => {
      calls.push(r.commonName);
      const certPEM = issueTLSCert({
        caCertPEM: ca.certPEM, caKeyPEM: ca.keyPEM, publicKey: publicKeyFromPEM(r.tlsPublicKey), clock, usage: 'client',
        identity: { username: r.commonName, groups: [], expires: new Date(clock.nowMs() + r.ttlMs) }, notAfter: new Date(clock.nowMs() + r.ttlMs),
      });
      return { certPEM, caCerts: [ca.certPEM] };
    },
  };
  const cache = new UpstreamCertCache({ authClient, clock });
  const [a, b] = await Promise.all([cache.get('alice'), cache.get('alice')]);
  assert.equal(a, b);
  await cache.get('bob');
  clock.advance(50 * 60_000);
  assert.equal(await cache.get('alice'), a);
  clock.advance(6 * 60_000);
  assert.notEqual(await cache.get('alice'), a);
  assert.deepEqual(calls, ['alice', 'bob', 'alice']);
});
