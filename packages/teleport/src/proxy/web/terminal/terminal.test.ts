/**
 * @module proxy/web/terminal/terminal.test
 * The web terminal end to end: a real cluster (auth, proxy SSH listener, a node service), the web
 * server with the terminal endpoint plugged into its upgrade dispatch, and a real `ws` client acting
 * as the browser. Covers the refusals (bearer, Origin, protocol order, unknown node, login not
 * allowed), a shell (output, resize), a second socket joining by session id as an observer, and the
 * node's audit events and recording for the session.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AccessDeniedError } from '@teleport-ts/api/errors';
import { systemClock } from '@teleport-ts/api/clock';
import { generateKeyPair, privateKeyToPEM, publicKeyToPEM } from '@teleport-ts/api/keys';
import { formatAuthorizedKey, sshPublicKeyBlob } from '@teleport-ts/api/sshcert/publicKey';
import { WebSocket } from 'ws';
import { eventually } from '../../ssh/testkit.ts';
import { createSelfSigned } from '../../selfSignedCert.ts';
import { startSSHTestCluster, type SSHTestCluster } from '../../../testing/sshCluster.ts';
import { silentLogger } from '../../../utils/logger.ts';
import { startWebServer, type WebServer } from '../webServer.ts';
import type { ServerMessage } from './protocol.ts';
import { TerminalServer } from './terminalServer.ts';
import type { TerminalCredentials, TerminalSessionSource } from './types.ts';

const isRoot = process.getuid?.() === 0;
const COOKIE = '__Host-session=session-1';
const TOKEN = 'bearer-token-1';

/** A browser's end of one terminal. */
class Browser {
  output = '';
  readonly messages: ServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.output += data.toString('utf8');
      else this.messages.push(JSON.parse(data.toString('utf8')) as ServerMessage);
    });
    this.closed = new Promise((resolve) => ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })));
  }

  send(msg: unknown): void {
    this.ws.send(JSON.stringify(msg));
  }

  message<T extends ServerMessage['type']>(type: T): Promise<Extract<ServerMessage, { type: T }>> {
    return eventually(() => this.messages.find((m): m is Extract<ServerMessage, { type: T }> => m.type === type), `a ${type} message (got ${JSON.stringify(this.messages)})`, 15_000);
  }

  sees(text: string): Promise<true> {
    return eventually(() => (this.output.includes(text) ? true : undefined), `"${text}" in the output:\n${this.output}`, 15_000);
  }
}

let c: SSHTestCluster;
let web: WebServer;
let terminals: TerminalServer;
let base: string;

function open(headers: Record<string, string> = {}): Promise<Browser> {
  const ws = new WebSocket(`wss://${base}/v1/webapi/sites/${c.base.clusterName}/connect/ws`, {
    rejectUnauthorized: false, headers: { origin: `https://${base}`, cookie: COOKIE, ...headers },
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(new Browser(ws)));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body}`), { status: res.statusCode, body })));
    });
    ws.once('error', reject);
  });
}

/** The HTTP status a handshake to `path` is refused with. */
function refusal(path: string, headers: Record<string, string>): Promise<number | undefined> {
  const ws = new WebSocket(`wss://${base}${path}`, { rejectUnauthorized: false, headers });
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode);
    });
    ws.once('open', () => reject(new Error('the handshake was accepted')));
  });
}

async function connected(connect: Record<string, unknown>): Promise<Browser> {
  const b = await open();
  b.send({ type: 'auth', token: TOKEN });
  b.send({ type: 'connect', login: 'root', node: 'node1', cols: 80, rows: 24, ...connect });
  return b;
}

describe('web terminal against a cluster', { skip: !isRoot && 'nodes log in as root' }, () => {
  before(async () => {
    c = await startSSHTestCluster();
    await c.startNode('node1', { env: 'test' });
    await c.base.addUser('alice', { roles: ['access'], logins: ['root'] });
    const auth = c.base.auth;
    const { privateKey, publicKey } = generateKeyPair('ed25519');
    const certs = await auth.generateUserCerts(await auth.services.users.getUser('alice'), {
      sshPublicKey: formatAuthorizedKey(sshPublicKeyBlob(publicKey)), tlsPublicKey: publicKeyToPEM(publicKey), ttlMs: 3600_000,
    });
    const creds: TerminalCredentials = { user: 'alice', sshCert: certs.sshCert, keyPEM: privateKeyToPEM(privateKey), expires: new Date(Date.now() + 3600_000) };
    // Stands in for the web session layer: the one cookie and bearer token of alice's web session.
    const sessions: TerminalSessionSource = {
      fromCookie: async (cookie, bearer) => {
        if (cookie !== COOKIE || bearer !== TOKEN) throw new AccessDeniedError('missing or invalid bearer token (CSRF protection)');
        return creds;
      },
    };
    const proxy = c.base.proc.proxy;
    if (!proxy) throw new Error('no proxy');
    terminals = new TerminalServer({
      clusterName: c.base.clusterName, sessions, proxySSHAddr: () => c.proxySSH.address, hostCAKeys: () => c.proxySSH.hostCAKeys(),
      nodes: c.proxySSH.nodes, trackers: proxy.authClient, clock: systemClock, logger: silentLogger, handshakeTimeoutMs: 2_000,
    });
    const pair = await createSelfSigned(['localhost'], systemClock);
    web = await startWebServer({
      ctx: { authClient: proxy.authClient, clusterName: c.base.clusterName, webPublicAddr: '', sshPublicAddr: '', tunnelPublicAddr: '', logger: silentLogger },
      listenAddr: { host: '127.0.0.1', port: 0 }, certPEM: pair.certPEM, keyPEM: pair.keyPEM, upgrades: [terminals],
    });
    base = `127.0.0.1:${web.address.port}`;
  });
  after(async () => {
    await web?.close();
    await c?.close();
  });

  it('refuses a cross-origin or origin-less handshake with 403, and other sites with 404', async () => {
    await assert.rejects(open({ origin: 'https://evil.example.com' }), { status: 403, message: /cross-origin terminal connections are not allowed/ });
    await assert.rejects(open({ origin: `http://${base}` }), { status: 403 });
    assert.equal(await refusal(`/v1/webapi/sites/${c.base.clusterName}/connect/ws`, {}), 403);
    assert.equal(await refusal('/v1/webapi/sites/other.cluster/connect/ws', { origin: `https://${base}` }), 404);
  });

  it('closes with an error for a wrong or missing bearer token, or a missing cookie', async () => {
    for (const [headers, first] of [
      [{}, { type: 'auth', token: 'wrong' }],
      [{ cookie: '' }, { type: 'auth', token: TOKEN }],
      [{}, { type: 'connect', login: 'root', node: 'node1', cols: 80, rows: 24 }],
      [{}, { type: 'auth' }],
    ] as const) {
      const b = await open(headers);
      b.send(first);
      const closed = await b.closed;
      assert.equal(closed.code, 1008);
      const err = await b.message('error');
      assert.match(err.message, /missing or invalid bearer token|first message must be|"token" must be/);
    }
  });

  it('closes a socket that never authenticates', async () => {
    const b = await open();
    assert.equal((await b.closed).code, 1008);
    assert.match((await b.message('error')).message, /no auth message within 2s/);
  });

  it('reports an unknown node and a login the roles do not allow', async () => {
    const unknown = await connected({ node: 'no-such-node' });
    assert.match((await unknown.message('error')).message, /node 'no-such-node' not found/);
    assert.equal((await unknown.closed).code, 1011);
    const denied = await connected({ login: 'nobody' });
    assert.match((await denied.message('error')).message, /access denied to nobody@/);
    assert.equal((await denied.closed).code, 1008);
  });

  it('runs a shell, resizes it, lets a second socket join as an observer, and is audited and recorded', async () => {
    const owner = await connected({});
    const { sid, hostname, login } = await owner.message('session');
    assert.equal(hostname, 'node1');
    assert.equal(login, 'root');
    owner.send({ type: 'data', data: "echo hel''lo\r" });
    await owner.sees('hello');
    owner.send({ type: 'resize', cols: 123, rows: 45 });
    owner.send({ type: 'data', data: 'stty size\r' });
    await owner.sees('45 123');

    const observer = await connected({ sid, mode: 'observer' });
    assert.equal((await observer.message('session')).sid, sid);
    await new Promise((r) => setTimeout(r, 300));
    observer.send({ type: 'data', data: "echo obs''erver-typed\r" });
    owner.send({ type: 'data', data: "echo wat''ched\r" });
    await observer.sees('watched');
    assert.doesNotMatch(owner.output, /observer-typed/, 'an observer cannot type');

    owner.send({ type: 'data', data: 'exit 3\r' });
    assert.deepEqual(await owner.message('exit'), { type: 'exit', code: 3 });
    assert.equal((await owner.closed).code, 1000);
    await observer.closed;

    const events = c.base.auth.audit;
    const find = async (type: string): Promise<Record<string, unknown> | undefined> => {
      const { events: found } = await events.search({ from: new Date(Date.now() - 600_000), to: new Date(Date.now() + 60_000), eventTypes: [type], limit: 1000 });
      return (found as unknown as Array<Record<string, unknown>>).find((e) => e.sid === sid);
    };
    const start = await eventually(() => find('session.start'), 'session.start', 15_000);
    assert.equal(start.user, 'alice');
    assert.equal(start.login, 'root');
    await eventually(() => find('session.join'), 'session.join', 15_000);
    await eventually(() => find('session.end'), 'session.end', 15_000);
    const recorded = await eventually(async () => {
      const { data } = await c.base.auth.recordings.read(sid, 0, 1 << 20).catch(() => ({ data: new Uint8Array() }));
      const text = Buffer.from(data).toString('utf8');
      return text.includes('watched') ? text : undefined;
    }, 'the recording', 15_000);
    assert.match(recorded, /hello/);
  });

  it('ends open terminals when the endpoint closes', async () => {
    const b = await connected({});
    await b.message('session');
    assert.equal(terminals.size, 1);
    terminals.close();
    assert.equal((await b.closed).code, 1001);
    assert.match((await b.message('error')).message, /shutting down/);
  });
});
