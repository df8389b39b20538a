/**
 * @module proxy/web/terminal/terminalServer.test
 * The terminal endpoint over a real WebSocket with a stand-in node session (no cluster): message
 * order and routing (keystrokes, resize, observers), protocol errors after the shell is open,
 * expiry of the web session, and backpressure (a browser that stops reading pauses the shell's
 * output instead of filling the proxy's memory).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import type { ClientChannel } from 'ssh2';
import { AccessDeniedError } from '@teleport-ts/api/errors';
import { systemClock } from '@teleport-ts/api/clock';
import type { Server } from '@teleport-ts/api/types/server';
import { WebSocket } from 'ws';
import { eventually } from '../../ssh/testkit.ts';
import { silentLogger } from '../../../utils/logger.ts';
import type { NodeSession, NodeSessionRequest } from './nodeSession.ts';
import type { ServerMessage } from './protocol.ts';
import { TerminalServer } from './terminalServer.ts';
import type { TerminalOptions } from './types.ts';

/** A shell channel whose output is produced on demand (so a paused channel stops producing). */
class FakeChannel extends Duplex {
  readonly stderr = new PassThrough();
  readonly input: string[] = [];
  produced = 0;
  constructor(private readonly total = 0, private readonly chunk = 64 * 1024) {
    super();
  }
  override _read(): void {
    if (this.produced >= this.total) return;
    this.produced += this.chunk;
    this.push(Buffer.alloc(this.chunk, 0x61));
  }
  override _write(data: Buffer, _enc: string, cb: () => void): void {
    this.input.push(data.toString());
    cb();
  }
  close(): void {
    this.emit('exit', 0);
    this.emit('close');
  }
}

const node: Server = { kind: 'node', version: 'v2', metadata: { name: 'uuid-1' }, spec: { hostname: 'node1', addr: '127.0.0.1:3022' } };

let server: http.Server;
let base: string;
let channel: FakeChannel;
let requests: NodeSessionRequest[];
let resizes: Array<[number, number]>;
let expires: Date;
let terminals: TerminalServer;

function options(over: Partial<TerminalOptions> = {}): TerminalOptions {
  return {
    clusterName: 'example.com',
    sessions: {
      fromCookie: async (cookie, bearer) => {
        if (cookie !== 'c=1' || bearer !== 't') throw new AccessDeniedError('missing or invalid bearer token (CSRF protection)');
        return { user: 'alice', sshCert: 'unused', keyPEM: 'unused', expires };
      },
    },
    proxySSHAddr: () => ({ host: '127.0.0.1', port: 1 }),
    hostCAKeys: () => [],
    nodes: { resolve: async () => node },
    clock: systemClock,
    logger: silentLogger,
    highWaterMark: 256 * 1024,
    openSession: async (req) => {
      requests.push(req);
      return {
        node, channel: channel as unknown as ClientChannel,
        resize: (cols, rows) => resizes.push([cols, rows]),
        close: () => channel.close(),
      } satisfies NodeSession;
    },
    ...over,
  };
}

async function open(connect: Record<string, unknown> = {}): Promise<{ ws: WebSocket; messages: ServerMessage[]; bytes(): number; closed: Promise<number> }> {
  const ws = new WebSocket(`ws://${base}/v1/webapi/sites/example.com/connect/ws`, { headers: { origin: `https://${base}`, cookie: 'c=1' } });
  const messages: ServerMessage[] = [];
  let bytes = 0;
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) bytes += data.length;
    else messages.push(JSON.parse(data.toString()) as ServerMessage);
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  // Sent back to back, before the proxy has answered anything.
  ws.send(JSON.stringify({ type: 'auth', token: 't' }));
  ws.send(JSON.stringify({ type: 'connect', login: 'root', node: 'node1', cols: 80, rows: 24, ...connect }));
  return { ws, messages, bytes: () => bytes, closed };
}

describe('terminal endpoint with a stand-in node session', () => {
  before(async () => {
    server = http.createServer();
    server.on('upgrade', (req, socket, head) => terminals.handleUpgrade(req, socket, head));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    terminals?.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  const reset = (over: Partial<TerminalOptions> = {}, total = 0): void => {
    terminals?.close();
    channel = new FakeChannel(total);
    requests = [];
    resizes = [];
    expires = new Date(Date.now() + 3600_000);
    terminals = new TerminalServer(options(over));
  };

  it('routes keystrokes and resizes in order, and reports bad messages without closing', async () => {
    reset();
    const t = await open();
    t.ws.send(JSON.stringify({ type: 'data', data: 'ls\r' }));
    t.ws.send(JSON.stringify({ type: 'resize', cols: 100, rows: 30 }));
    t.ws.send('{"type":"resize","cols":0,"rows":30}');
    t.ws.send(JSON.stringify({ type: 'auth', token: 't' }));
    await eventually(() => (t.messages.length >= 2 ? true : undefined), 'two errors');
    assert.deepEqual(requests.map((r) => [r.login, r.typed, r.cols, r.rows, r.join]), [['root', 'node1', 80, 24, undefined]]);
    assert.deepEqual(channel.input, ['ls\r']);
    assert.deepEqual(resizes, [[100, 30]]);
    assert.match(JSON.stringify(t.messages), /"cols\\" must be a whole number.*unexpected \\"auth\\" message/);
    channel.close();
    assert.equal(await t.closed, 1000);
    assert.deepEqual(t.messages.at(-1), { type: 'exit', code: 0 });
  });

  it('joins as an observer by default, and drops an observer\'s keystrokes and resizes', async () => {
    reset();
    const t = await open({ sid: 'sess-1' });
    await eventually(() => t.messages.find((m) => m.type === 'session'), 'the session message');
    assert.deepEqual(t.messages[0], { type: 'session', sid: 'sess-1', node: 'uuid-1', hostname: 'node1', login: 'root', mode: 'observer' });
    assert.deepEqual(requests[0]?.join, { sid: 'sess-1', mode: 'observer' });
    t.ws.send(JSON.stringify({ type: 'data', data: 'rm -rf /\r' }));
    t.ws.send(JSON.stringify({ type: 'resize', cols: 10, rows: 10 }));
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(channel.input, []);
    assert.deepEqual(resizes, []);
    t.ws.close();
  });

  it('closes the terminal when the web session expires', async () => {
    reset();
    expires = new Date(Date.now() + 300);
    const t = await open();
    assert.equal(await t.closed, 1008);
    assert.deepEqual(t.messages.at(-1), { type: 'error', message: 'your web session expired: log in again' });
  });

  it('refuses binary frames before the shell is open', async () => {
    reset();
    const ws = new WebSocket(`ws://${base}/v1/webapi/sites/example.com/connect/ws`, { headers: { origin: `https://${base}`, cookie: 'c=1' } });
    const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(Buffer.from('hello'));
    assert.equal(await closed, 1008);
  });

  it('pauses the shell\'s output while the browser does not read, and delivers all of it afterwards', async () => {
    const total = 48 << 20;
    reset({}, total);
    const t = await open();
    t.ws.pause();
    // Production stalls far short of the total: the channel is paused once the socket backs up.
    let last = -1;
    await eventually(async () => {
      const now = channel.produced;
      const stalled = now === last;
      last = now;
      await new Promise((r) => setTimeout(r, 200));
      return stalled ? true : undefined;
    }, 'the output to stall', 15_000);
    assert.ok(channel.produced < total / 2, `produced ${channel.produced} of ${total} bytes while the browser read nothing`);
    t.ws.resume();
    await eventually(() => (t.bytes() === total ? true : undefined), `all ${total} bytes (got ${t.bytes()})`, 30_000);
    t.ws.close();
  });
});
