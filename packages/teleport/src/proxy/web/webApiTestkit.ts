/**
 * @module proxy/web/webApiTestkit
 * Test-only: an auth server behind its real mutual-TLS listener and the proxy's web API over real
 * HTTPS on 127.0.0.1:0, the proxy authenticated as system role Proxy. Auth's FakeClock starts at
 * the wall clock (TLS checks validity against it); the proxy has its own FakeClock so a test can
 * move web sessions past their expiry without making later certificates "not yet valid". Plus a
 * small HTTPS client that logs in and sends the cookie and bearer token.
 */
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { randomUUID } from 'node:crypto';
import { FakeClock } from '@teleport-ts/api/clock';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import type { CreateWebSessionResponse } from '@teleport-ts/api/webapi';
import { startAuthTLSServer, type AuthTLSServer } from '../../auth/tlsServer.ts';
import { newTestAuthServer, type TestAuth } from '../../auth/testAuthServer.ts';
import { issueLocalIdentity } from '../../service/localIdentity.ts';
import { silentLogger } from '../../utils/logger.ts';
import { createSelfSigned } from '../selfSignedCert.ts';
import { RateLimiter } from './rateLimiter.ts';
import { startWebServer, type WebServer } from './webServer.ts';

/** One HTTP answer. */
export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON. */
  json<T = Record<string, unknown>>(): T & { error?: { code: string; message: string; line?: number; field?: string } };
}

/** A logged-in browser: the cookie and the bearer token. */
export interface Browser {
  cookie: string;
  token: string;
  login: CreateWebSessionResponse;
}

/** The running environment. */
export interface WebAPIEnv {
  t: TestAuth;
  /** The proxy's clock (web session expiry checks). */
  proxyClock: FakeClock;
  web: WebServer;
  /** An AuthClient with the Admin system role (as tctl on the auth host). */
  admin: AuthClient;
  request(method: string, path: string, opts?: { body?: unknown; headers?: Record<string, string>; as?: Browser }): Promise<Reply>;
  /** Logs in through POST /v1/webapi/sessions/web; throws unless it answers 200. */
  login(user: string, pass: string, otp?: string): Promise<Browser>;
  close(): Promise<void>;
}

/** Starts auth + the web API. */
export async function startWebAPIEnv(): Promise<WebAPIEnv> {
  const t = await newTestAuthServer({ clock: new FakeClock(Date.now()), secondFactor: 'optional' });
  const hostId = randomUUID();
  const own = await issueLocalIdentity(t.auth, { hostId, nodeName: 'auth', role: 'Auth', algorithm: 'ecdsa-p256' });
  const authServer: AuthTLSServer = await startAuthTLSServer({
    auth: t.auth, listenAddr: { host: '127.0.0.1', port: 0 }, certPEM: own.certPEM, keyPEM: own.keyPEM, logger: silentLogger,
  });
  const addr = `127.0.0.1:${authServer.address.port}`;
  const client = async (role: string) => {
    const id = await issueLocalIdentity(t.auth, { hostId, nodeName: role.toLowerCase(), role, algorithm: 'ecdsa-p256' });
    return new AuthClient({ addr, certPEM: id.certPEM, keyPEM: id.keyPEM, caCerts: id.tlsCACerts });
  };
  const proxyClient = await client('Proxy');
  const admin = await client('Admin');
  const pair = await createSelfSigned(['localhost'], t.clock);
  const proxyClock = new FakeClock(Date.now());
  const web = await startWebServer({
    ctx: {
      authClient: proxyClient, clusterName: 'example.com', webPublicAddr: 'proxy.example.com:3080',
      sshPublicAddr: 'proxy.example.com:3023', tunnelPublicAddr: 'proxy.example.com:3024', logger: silentLogger,
      clock: proxyClock, credentialLimiter: new RateLimiter({ burst: 1000, perSecond: 1000 }, proxyClock),
    },
    listenAddr: { host: '127.0.0.1', port: 0 },
    ...pair,
  });

  const request: WebAPIEnv['request'] = (method, path, opts = {}) =>
    new Promise((resolve, reject) => {
      const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
      const headers: Record<string, string> = {
        ...(body !== undefined && { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }),
        ...(opts.as && { cookie: opts.as.cookie, authorization: `Bearer ${opts.as.token}` }),
        ...opts.headers,
      };
      const req = https.request({ host: '127.0.0.1', port: web.address.port, method, path, ca: [pair.certPEM], agent: false, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as never });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });

  return {
    t, proxyClock, web, admin, request,
    async login(user, pass, otp) {
      const r = await request('POST', '/v1/webapi/sessions/web', { body: { user, pass, ...(otp && { second_factor_token: otp }) } });
      if (r.status !== 200) throw new Error(`login of ${user} failed: ${r.status} ${r.text}`);
      const setCookie = r.headers['set-cookie']?.[0] ?? '';
      const login = r.json<CreateWebSessionResponse>();
      return { cookie: setCookie.split(';')[0] ?? '', token: login.token, login };
    },
    async close() {
      await web.close();
      proxyClient.close();
      admin.close();
      await authServer.close();
      await t.auth.close();
    },
  };
}
