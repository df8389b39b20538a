/**
 * @module client/db/localProxy.test
 * The local database proxy against real TLS servers: a tiny echo server that requires a client
 * certificate and speaks ALPN reports what it saw (ALPN, the certificate's database route); the
 * proxy's certificate is verified (full, pinned chain, none), a foreign proxy is refused, a server
 * that does not select the ALPN protocol is refused, and close()/SIGINT end listener and connections.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import { systemClock } from '@teleport-ts/api/clock';
import { generateKeyPair, privateKeyToPEM } from '@teleport-ts/api/keys';
import { identityFromCertificate, type Identity } from '@teleport-ts/api/tlsca/identity';
import { createTLSCA, issueTLSCert, type TLSCAKeyPair } from '../../ca/tlsCA.ts';
import { serveUntilInterrupted, startLocalProxy, type LocalProxyOptions } from './localProxy.ts';

interface Cred { certPEM: string; keyPEM: string }

function cred(ca: TLSCAKeyPair, identity: Identity, server: boolean, names: string[] = ['localhost']): Cred {
  const keys = generateKeyPair('ecdsa-p256');
  const notAfter = new Date(Date.now() + 3600_000);
  const certPEM = issueTLSCert({
    caCertPEM: ca.certPEM, caKeyPEM: ca.keyPEM, publicKey: keys.publicKey, identity, notAfter, clock: systemClock,
    usage: server ? 'server' : 'client', ...(server && { dnsNames: names }),
  });
  return { certPEM, keyPEM: privateKeyToPEM(keys.privateKey) };
}

let userCA: TLSCAKeyPair;
let hostCA: TLSCAKeyPair;
let foreignHostCA: TLSCAKeyPair;
let client: Cred;
const servers: tls.Server[] = [];

/** A TLS echo server: first line back is what it saw, then it echoes. */
async function echoServer(serverCred: Cred, alpn: string[]): Promise<number> {
  const srv = tls.createServer({
    ...serverCred, cert: serverCred.certPEM, key: serverCred.keyPEM, ca: [userCA.certPEM],
    requestCert: true, rejectUnauthorized: true, ALPNProtocols: alpn,
  }, (sock) => {
    const id = identityFromCertificate(sock.getPeerX509Certificate()!);
    sock.write(`${JSON.stringify({ alpn: sock.alpnProtocol, authorized: sock.authorized, user: id.username, route: id.routeToDatabase })}\n`);
    sock.pipe(sock);
    sock.on('error', () => undefined);
  });
  servers.push(srv);
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return (srv.address() as net.AddressInfo).port;
}

function roundTrip(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let got = '';
    sock.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.endsWith(payload)) sock.end();
    });
    sock.on('close', () => resolve(got));
    // A local connection the proxy drops with unread bytes is reset rather than closed.
    sock.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve(got) : reject(err)));
    sock.write(payload);
  });
}

before(() => {
  userCA = createTLSCA({ clusterName: 'example.com', caType: 'user', algorithm: 'ecdsa-p256', clock: systemClock });
  hostCA = createTLSCA({ clusterName: 'example.com', caType: 'host', algorithm: 'ecdsa-p256', clock: systemClock });
  foreignHostCA = createTLSCA({ clusterName: 'evil.com', caType: 'host', algorithm: 'ecdsa-p256', clock: systemClock });
  client = cred(userCA, {
    username: 'alice', groups: ['access'], teleportCluster: 'example.com', expires: new Date(0),
    routeToDatabase: { serviceName: 'pg', protocol: 'postgres', username: 'alice', database: 'app' },
  }, false);
});

after(() => {
  for (const s of servers) s.close();
});

function base(port: number, over: Partial<LocalProxyOptions> = {}): LocalProxyOptions {
  return {
    remoteAddr: `127.0.0.1:${port}`, protocol: 'postgres', credentials: client, proxyCAs: [hostCA.certPEM],
    verify: 'full', serverName: 'localhost', ...over,
  };
}

const serverIdentity: Identity = { username: 'proxy', groups: [], expires: new Date(0) };

describe('local database proxy', () => {
  it('pipes through TLS with ALPN and the client certificate, verifying the proxy', async () => {
    const port = await echoServer(cred(hostCA, serverIdentity, true), ['teleport-postgres', 'teleport-mysql']);
    const proxy = await startLocalProxy(base(port));
    try {
      assert.equal(proxy.host, '127.0.0.1');
      // An SSLRequest-looking first packet goes through untouched (the engine answers it).
      const ssl = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]).toString('latin1');
      const out = await roundTrip(proxy.port, `${ssl}select 1;`);
      const [first, rest] = [out.slice(0, out.indexOf('\n')), out.slice(out.indexOf('\n') + 1)];
      const seen = JSON.parse(first) as { alpn: string; authorized: boolean; user: string; route: unknown };
      assert.equal(seen.alpn, 'teleport-postgres');
      assert.equal(seen.authorized, true);
      assert.equal(seen.user, 'alice');
      assert.deepEqual(seen.route, { serviceName: 'pg', protocol: 'postgres', username: 'alice', database: 'app' });
      assert.equal(rest, `${ssl}select 1;`);
    } finally {
      await proxy.close();
    }
  });

  it('asks for teleport-mysql for MySQL', async () => {
    const port = await echoServer(cred(hostCA, serverIdentity, true), ['teleport-postgres', 'teleport-mysql']);
    const proxy = await startLocalProxy(base(port, { protocol: 'mysql' }));
    try {
      const out = await roundTrip(proxy.port, 'x');
      assert.equal((JSON.parse(out.split('\n')[0] as string) as { alpn: string }).alpn, 'teleport-mysql');
    } finally {
      await proxy.close();
    }
  });

  it('refuses a proxy whose certificate it does not trust, and accepts it with verify=none', async () => {
    const port = await echoServer(cred(foreignHostCA, serverIdentity, true), ['teleport-postgres']);
    const errors: Error[] = [];
    const strict = await startLocalProxy(base(port, { onError: (e) => errors.push(e) }));
    try {
      assert.equal(await roundTrip(strict.port, 'x'), '');
      assert.equal(errors[0]?.name, 'TrustError');
      assert.match(errors[0]?.message ?? '', /not trusted.*tsh db login/);
    } finally {
      await strict.close();
    }
    const loose = await startLocalProxy(base(port, { verify: 'none' }));
    try {
      assert.match(await roundTrip(loose.port, 'x'), /"alpn":"teleport-postgres"/);
    } finally {
      await loose.close();
    }
  });

  it('checks the name with verify=full and only the chain with verify=ca', async () => {
    const port = await echoServer(cred(hostCA, serverIdentity, true, ['proxy.internal']), ['teleport-postgres']);
    const errors: Error[] = [];
    const full = await startLocalProxy(base(port, { onError: (e) => errors.push(e) }));
    try {
      assert.equal(await roundTrip(full.port, 'x'), '');
      assert.match(errors[0]?.message ?? '', /not trusted/);
    } finally {
      await full.close();
    }
    const pinned = await startLocalProxy(base(port, { verify: 'ca' }));
    try {
      assert.match(await roundTrip(pinned.port, 'x'), /"authorized":true/);
    } finally {
      await pinned.close();
    }
  });

  it('refuses a server that does not select the database ALPN protocol', async () => {
    for (const alpn of [['http/1.1'], []]) {
      const port = await echoServer(cred(hostCA, serverIdentity, true), alpn);
      const errors: Error[] = [];
      const proxy = await startLocalProxy(base(port, { onError: (e) => errors.push(e) }));
      try {
        assert.equal(await roundTrip(proxy.port, 'x'), '');
        assert.match(errors[0]?.message ?? '', /does not route teleport-postgres connections \(ALPN answer: (refused|none)\)/);
      } finally {
        await proxy.close();
      }
    }
  });

  it('reports credentials that cannot be used and closes the local connection', async () => {
    const port = await echoServer(cred(hostCA, serverIdentity, true), ['teleport-postgres']);
    const errors: Error[] = [];
    const proxy = await startLocalProxy(base(port, {
      credentials: () => { throw new Error('the certificate for database "pg" expired'); },
      onError: (e) => errors.push(e),
    }));
    try {
      assert.equal(await roundTrip(proxy.port, 'x'), '');
      assert.match(errors[0]?.message ?? '', /expired/);
    } finally {
      await proxy.close();
    }
  });

  it('closes the listener and open connections on SIGINT and on abort', async () => {
    const port = await echoServer(cred(hostCA, serverIdentity, true), ['teleport-postgres']);
    const proxy = await startLocalProxy(base(port));
    const sock = net.connect(proxy.port, '127.0.0.1');
    sock.write('hello');
    await once(sock, 'data');
    const closed = once(sock, 'close');
    const done = serveUntilInterrupted(proxy);
    process.emit('SIGINT', 'SIGINT');
    await done;
    await closed;
    await assert.rejects(new Promise((resolve, reject) => net.connect(proxy.port, '127.0.0.1').on('connect', resolve).on('error', reject)), /ECONNREFUSED/);
    assert.equal(process.listenerCount('SIGINT'), 0);

    const again = await startLocalProxy(base(port));
    const ac = new AbortController();
    const stopped = serveUntilInterrupted(again, ac.signal);
    ac.abort();
    await stopped;
    await assert.rejects(new Promise((resolve, reject) => net.connect(again.port, '127.0.0.1').on('connect', resolve).on('error', reject)), /ECONNREFUSED/);
  });
});
