/**
 * @module client/webClient.test
 * The web API client against a real local HTTPS server on port 0 with a test CA made by the openssl
 * CLI: trust modes (insecure, pinned CA, untrusted), JSON error mapping, and network failures.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHTTPServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHTTPSServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AccessDeniedError, ConnectionProblemError, LimitExceededError, NotFoundError, TeleportError, TrustError,
} from '@teleport-ts/api/errors';
import type { PingResponse } from '@teleport-ts/api/webapi';
import { parseProxyAddr, WebClient } from './webClient.ts';

const hasOpenSSL = spawnSync('openssl', ['version']).error === undefined;

/** A CA and a server certificate for 127.0.0.1/localhost signed by it, plus an unrelated CA. */
function makeCerts(dir: string): { ca: string; otherCA: string; key: string; cert: string } {
  const run = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  for (const name of ['ca', 'other']) {
    run('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`,
      '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name} test CA`, '-addext', 'basicConstraints=critical,CA:TRUE');
  }
  run('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr',
    '-subj', '/CN=proxy');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2',
    '-out', 'server.pem', '-extfile', 'ext.cnf');
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  return { ca: read('ca.pem'), otherCA: read('other.pem'), key: read('server.key'), cert: read('server.pem') };
}

const ping: PingResponse = {
  auth: { type: 'local', second_factor: 'otp' },
  proxy: { ssh: { listen_addr: '0.0.0.0:3023' }, tls_routing_enabled: false },
  server_version: '17.0.0', cluster_name: 'example.com',
};

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function handler(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '';
  if (url === '/v1/webapi/ping') return json(res, 200, ping);
  if (url === '/v1/webapi/users/password/token/missing') return json(res, 404, { error: { code: 'not_found', message: 'invite token not found or expired' } });
  if (url.startsWith('/v1/webapi/users/password/token/')) return json(res, 200, { tokenId: decodeURIComponent(url.split('/').pop() ?? ''), user: 'alice' });
  if (url === '/v1/webapi/users/password/token' && req.method === 'PUT') {
    const body = await readBody(req) as { token: string };
    return json(res, 200, { user: body.token === 'tok' ? 'alice' : '?' });
  }
  if (url === '/v1/webapi/ssh/certs' && req.method === 'POST') {
    const body = await readBody(req) as { user: string; password: string };
    if (body.password !== 'secret') return json(res, 403, { error: { code: 'access_denied', message: 'invalid username, password or second factor' } });
    return json(res, 200, { username: body.user, cert: 'c', tls_cert: 't', host_signers: [], tls_ca_certs: [] });
  }
  if (url === '/locked') return json(res, 429, { error: { message: 'too many attempts' } });
  if (url === '/html') return void res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html></html>');
  if (url === '/crash') return void res.writeHead(500).end('internal error');
  if (url === '/slow') return; // never answers
  json(res, 404, { error: { code: 'not_found', message: `no route ${url}` } });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('WebClient', { skip: !hasOpenSSL && 'openssl CLI not installed' }, () => {
  let dir: string;
  let certs: ReturnType<typeof makeCerts>;
  let server: Server;
  let addr: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'webclient-'));
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n');
    certs = makeCerts(dir);
    server = createHTTPSServer({ key: certs.key, cert: certs.cert }, (req, res) => void handler(req, res));
    addr = `127.0.0.1:${await listen(server)}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('talks to a self-signed proxy with --insecure', async () => {
    assert.deepEqual(await new WebClient({ proxyAddr: addr, insecure: true }).ping(), ping);
  });

  it('verifies the proxy against a pinned CA, by IP and by name', async () => {
    assert.equal((await new WebClient({ proxyAddr: addr, caCertsPEM: [certs.ca] }).ping()).cluster_name, 'example.com');
    const byName = new WebClient({ proxyAddr: `https://localhost:${addr.split(':')[1]}`, caCertsPEM: [certs.ca] });
    assert.equal((await byName.ping()).server_version, '17.0.0');
  });

  it('refuses an untrusted proxy with advice', async () => {
    await assert.rejects(new WebClient({ proxyAddr: addr }).ping(), (e: unknown) =>
      e instanceof TrustError && /^the proxy's certificate is not trusted \(.+\): pass --insecure for a self-signed test cluster/.test(e.message));
    await assert.rejects(new WebClient({ proxyAddr: addr, caCertsPEM: [certs.otherCA] }).ping(), (e: unknown) =>
      e instanceof TrustError && /not signed by the CA this client trusts/.test(e.message) && !e.message.includes('--insecure'));
  });

  it('sends requests and decodes answers for every call', async () => {
    const c = new WebClient({ proxyAddr: addr, insecure: true });
    assert.deepEqual(await c.getPasswordToken('a/b c'), { tokenId: 'a/b c', user: 'alice' });
    assert.deepEqual(await c.changePasswordWithToken({ token: 'tok', password: 'cGFzcw==' }), { user: 'alice' });
    const login = await c.createSSHCert({ user: 'alice', password: 'secret', pub_key: 'AAAA' });
    assert.equal(login.username, 'alice');
  });

  it('turns JSON errors into typed errors', async () => {
    const c = new WebClient({ proxyAddr: addr, insecure: true });
    await assert.rejects(c.createSSHCert({ user: 'alice', password: 'wrong', pub_key: 'AAAA' }),
      (e: unknown) => e instanceof AccessDeniedError && e.message === 'invalid username, password or second factor');
    await assert.rejects(c.getPasswordToken('missing'), (e: unknown) => e instanceof NotFoundError && /expired/.test(e.message));
    await assert.rejects(c.request('GET', '/locked'), (e: unknown) => e instanceof LimitExceededError && e.message === 'too many attempts');
    await assert.rejects(c.request('GET', '/crash'), (e: unknown) => e instanceof TeleportError && /answered HTTP 500: internal error/.test(e.message));
    await assert.rejects(c.request('GET', '/html'), (e: unknown) => e instanceof ConnectionProblemError && /not JSON/.test(e.message));
  });

  it('times out a proxy that does not answer', async () => {
    const c = new WebClient({ proxyAddr: addr, insecure: true, timeoutMs: 200 });
    await assert.rejects(c.request('GET', '/slow'), (e: unknown) => e instanceof ConnectionProblemError && /did not answer within/.test(e.message));
  });

  it('reports an unreachable proxy and a port that does not speak TLS', async () => {
    const closed = createHTTPServer();
    const port = await listen(closed);
    await new Promise((r) => closed.close(r));
    await assert.rejects(new WebClient({ proxyAddr: `127.0.0.1:${port}`, insecure: true }).ping(),
      (e: unknown) => e instanceof ConnectionProblemError && e.message.startsWith(`cannot reach proxy 127.0.0.1:${port}: `) && /ECONNREFUSED/.test(e.message));

    const plain = createHTTPServer((_req, res) => res.end('hello'));
    const plainPort = await listen(plain);
    try {
      await assert.rejects(new WebClient({ proxyAddr: `127.0.0.1:${plainPort}`, insecure: true }).ping(),
        (e: unknown) => e instanceof ConnectionProblemError && /did not answer with TLS/.test(e.message));
    } finally {
      plain.close();
    }
  });
});

describe('parseProxyAddr', () => {
  it('accepts host, host:port, URLs and IPv6 and rejects the rest', () => {
    assert.deepEqual(parseProxyAddr('proxy.example.com'), { host: 'proxy.example.com', port: 3080 });
    assert.deepEqual(parseProxyAddr('proxy.example.com:443'), { host: 'proxy.example.com', port: 443 });
    assert.deepEqual(parseProxyAddr('https://proxy.example.com:3080/'), { host: 'proxy.example.com', port: 3080 });
    assert.deepEqual(parseProxyAddr('[::1]:3080'), { host: '::1', port: 3080 });
    for (const bad of ['', 'host:0', 'host:99999', 'host:port', 'a b:1', 'http://x/y']) {
      assert.throws(() => parseProxyAddr(bad), /invalid proxy address/, bad);
    }
  });
});
