/**
 * @module reversetunnel/server
 * The proxy's end of the reverse tunnels (listener 3024, or TLS ALPN `teleport-reversetunnel` on
 * 3080). Agents behind NAT dial in as SSH clients and log in with their **host** certificate; the
 * proxy presents its own host certificate. Each agent keeps:
 * - a control channel (a `session` channel with subsystem `teleport-control`) on which the proxy says
 *   hello, lists every live proxy's tunnel address, and, when shutting down gracefully, says reconnect;
 * - a `streamlocal-forward@openssh.com` request for {@link TRANSPORT_SOCKET}, which lets the proxy open
 *   `forwarded-streamlocal@openssh.com` transport channels back to it ({@link ReverseTunnelServer.dial}).
 *
 * Agents are tracked by host id; a reconnecting agent's newest connection wins and the old one is
 * closed. Every refusal is logged with its reason (agents see only "authentication failed").
 */
import { markStreamLost } from '../utils/streamLoss.ts';
import { EventEmitter } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { AuthContext, ClientInfo, Connection, ServerChannel } from 'ssh2';
import type { Clock } from '@teleport-ts/api/clock';
import { BadParameterError, ConnectionProblemError, errorMessage } from '@teleport-ts/api/errors';
import { parseAuthorizedKey } from '@teleport-ts/api/sshcert/publicKey';
import type { LocalIdentity } from '../service/identityStore.ts';
import { sshServerHostKeys } from '../sshutils/hostKeys.ts';
import { connectionSocket } from '../sshutils/ssh2Internals.ts';
import { componentLogger, type Logger } from '../utils/logger.ts';
import { authenticateAgent } from './agentAuth.ts';
import { CONTROL_SUBSYSTEM, DIAL_TIMEOUT_MS, KEEPALIVE_COUNT_MAX, KEEPALIVE_INTERVAL_MS, TRANSPORT_SOCKET } from './constants.ts';
import { readFirstFrame, readFrames } from './frameIO.ts';
import { encodeFrame, parseControlMessage, parseDialReply, type ControlMessage, type DialRequest, type DialType, type ProxyEndpoint } from './protocol.ts';

/** Inputs of {@link ReverseTunnelServer}. */
/** The system role whose agents serve each kind of transport connection. */
const ROLE_FOR_TYPE: Record<DialType, string> = { node: 'Node', db: 'Db', app: 'App', kube: 'Kube' };

/** Map key of an agent's tunnel: one per host id and role. */
function agentKey(hostId: string, role: string): string {
  return `${hostId}/${role.toLowerCase()}`;
}

export interface ReverseTunnelServerOptions {
  /** The proxy's identity: key, SSH host certificate, host CA keys, cluster name, host id. */
  identity: LocalIdentity;
  /** Current host CA key blobs agents' certificates must chain to; identity.sshHostCAKeys by default. */
  hostCAKeys?: () => Buffer[];
  /** Every live proxy's tunnel endpoint, announced to agents; polled every `discoverIntervalMs`. */
  discoverProxies?: () => ProxyEndpoint[] | Promise<ProxyEndpoint[]>;
  /** How often discoverProxies is polled (default 5 s). */
  discoverIntervalMs?: number;
  /** SSH keepalive towards agents (defaults: 5 s, 3 unanswered). */
  keepAliveIntervalMs?: number;
  keepAliveCountMax?: number;
  /** How long dial() waits for the agent's answer (default 10 s). */
  dialTimeoutMs?: number;
  clock: Clock;
  logger: Logger;
}

/** An agent with a live tunnel to this proxy. */
export interface ConnectedAgent {
  /** The agent's host UUID (from its certificate). */
  hostId: string;
  /** The system role in its certificate (Node, App, Db, Kube, ...). */
  role: string;
  remoteAddr: string;
  connectedAt: Date;
}

interface AgentConn {
  agent: ConnectedAgent;
  conn: Connection;
  controls: Set<ServerChannel>;
}

/** How long a graceful close waits for agents to hang up before dropping their sockets. */
const CLOSE_GRACE_MS = 2_000;

/**
 * The reverse-tunnel server. Events: `agent` (ConnectedAgent) when an agent's tunnel is usable,
 * `agentGone` (hostId) when it is not any more.
 */
export class ReverseTunnelServer extends EventEmitter {
  private readonly ssh: ssh2.Server;
  private readonly logger: Logger;
  private readonly agents = new Map<string, AgentConn>();
  private readonly conns = new Set<Connection>();
  /** Transport channels handed out by dial() that have not closed yet. */
  private readonly channels = new Set<Duplex>();
  private readonly hostCAKeys: () => Buffer[];
  private readonly clusterName: string;
  private proxies: ProxyEndpoint[] = [];
  private proxiesJSON = '[]';
  private discoverTimer: NodeJS.Timeout | undefined;
  private discover: (() => ProxyEndpoint[] | Promise<ProxyEndpoint[]>) | undefined;
  private listening = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: ReverseTunnelServerOptions) {
    super();
    const { identity } = opts;
    if (!identity.sshCert) {
      throw new BadParameterError('the proxy identity has no SSH host certificate: remove it from the data directory so the proxy re-issues it');
    }
    this.logger = componentLogger(opts.logger, 'proxy:tunnel');
    this.clusterName = identity.clusterName;
    const initial = (identity.sshHostCAKeys ?? []).map((l) => parseAuthorizedKey(l).blob);
    this.hostCAKeys = opts.hostCAKeys ?? ((): Buffer[] => initial);
    this.ssh = new ssh2.Server({
      hostKeys: sshServerHostKeys({ privateKeyPEM: identity.keyPEM, hostCertLine: identity.sshCert }),
      ident: 'Teleport',
      keepaliveInterval: opts.keepAliveIntervalMs ?? KEEPALIVE_INTERVAL_MS,
      keepaliveCountMax: opts.keepAliveCountMax ?? KEEPALIVE_COUNT_MAX,
    }, (conn: Connection, info: ClientInfo) => this.onConnection(conn, info));
    this.ssh.on('error', (err: Error) => this.logger.warn({ err: err.message }, 'tunnel listener error'));
    if (opts.discoverProxies) this.setDiscovery(opts.discoverProxies);
  }

  /**
   * Where the proxy list announced to agents comes from: polled now and every `discoverIntervalMs`,
   * and sent to every agent whenever it changes. Replaces an earlier source.
   */
  setDiscovery(discover: () => ProxyEndpoint[] | Promise<ProxyEndpoint[]>): void {
    if (this.discoverTimer) clearInterval(this.discoverTimer);
    this.discover = discover;
    this.discoverTimer = setInterval(() => void this.refreshProxies(), this.opts.discoverIntervalMs ?? 5_000);
    this.discoverTimer.unref();
    void this.refreshProxies();
  }

  /** Listens for agents on host:port (port 0 picks one); resolves with the bound address. */
  async listen(host: string, port: number): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.ssh.once('error', reject);
      this.ssh.listen(port, host, () => {
        this.ssh.off('error', reject);
        resolve();
      });
    });
    this.listening = true;
    const a = this.ssh.address() as AddressInfo;
    this.logger.info({ addr: `${host}:${a.port}` }, 'reverse tunnel listener started');
    return { host, port: a.port };
  }

  /** Serves a connection accepted elsewhere (a TLS socket that negotiated ALPN teleport-reversetunnel on 3080). */
  injectSocket(socket: Duplex): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    socket.on('error', () => undefined);
    // ssh2 accepts any Duplex here; its typings say net.Socket.
    this.ssh.injectSocket(socket as Socket);
  }

  /** The agents with a live tunnel, by host id. */
  connectedAgents(): ConnectedAgent[] {
    return [...this.agents.values()].map((a) => ({ ...a.agent }));
  }

  /**
   * How many transport channels dial() opened that are still open. Each ends when both sides have
   * closed it; a number that only grows means a consumer stopped reading a channel it was done with.
   */
  openChannels(): number {
    return this.channels.size;
  }

  /**
   * True when agent `hostId` has a live tunnel to this proxy for connections of `type`. One process
   * may run several agents (a node and a database service) under one host id, each with its own
   * tunnel and system role, so tunnels are keyed by host id and role.
   */
  isConnected(hostId: string, type: DialType = 'node'): boolean {
    return this.agents.has(agentKey(hostId, ROLE_FOR_TYPE[type]));
  }

  /** Sets the proxy list announced to agents (and sends it at once when it changed). */
  setProxies(proxies: ProxyEndpoint[]): void {
    const json = JSON.stringify(proxies);
    if (json === this.proxiesJSON) return;
    this.proxies = proxies.map((p) => ({ ...p }));
    this.proxiesJSON = json;
    this.broadcast({ type: 'proxies', proxies: this.proxies });
  }

  /**
   * Opens a transport channel to agent `hostId` and sends `req`; resolves with the raw stream once
   * the agent answers ok. Rejects with ConnectionProblemError when the agent is not connected, the
   * channel cannot be opened, or the agent refuses (its reason is in the message).
   */
  dial(hostId: string, req: DialRequest): Promise<Duplex> {
    const a = this.agents.get(agentKey(hostId, ROLE_FOR_TYPE[req.type]));
    if (!a) return Promise.reject(new ConnectionProblemError(`${req.type === 'node' ? 'node' : `${req.type} service`} ${hostId} is not connected to this proxy`));
    return new Promise<Duplex>((resolve, reject) => {
      const onChannel = (err: Error | undefined, ch: ServerChannel): void => {
        if (err) {
          reject(new ConnectionProblemError(`cannot open a tunnel channel to ${hostId}: ${err.message}`, { cause: err }));
          return;
        }
        ch.on('error', () => undefined);
        ch.write(encodeFrame(req));
        readFirstFrame(ch, this.opts.dialTimeoutMs ?? DIAL_TIMEOUT_MS, `answer from ${hostId}`).then((v) => {
          const reply = parseDialReply(v);
          if (reply.ok) {
            // ssh2 ends open channels with a plain EOF when the agent's connection dies; say why.
            const lost = (): void => markStreamLost(ch, `the reverse tunnel to ${hostId} was lost (the agent disconnected)`);
            a.conn.once('close', lost);
            this.channels.add(ch);
            ch.once('close', () => {
              a.conn.removeListener('close', lost);
              this.channels.delete(ch);
            });
            return resolve(ch);
          }
          ch.destroy();
          reject(new ConnectionProblemError(`${hostId} could not connect to ${req.type} ${req.target}: ${reply.error}`));
        }, (e: unknown) => {
          ch.destroy();
          reject(e instanceof Error ? e : new ConnectionProblemError(String(e)));
        });
      };
      try {
        a.conn.openssh_forwardOutStreamLocal(TRANSPORT_SOCKET, onChannel);
      } catch (err) {
        reject(new ConnectionProblemError(`the tunnel to ${hostId} is closing: ${errorMessage(err)}`, { cause: err }));
      }
    });
  }

  /**
   * Stops accepting agents and ends every tunnel. Graceful (the default): each agent is told to
   * reconnect (elsewhere, or here later) before its connection ends.
   */
  close(opts: { graceful?: boolean } = {}): Promise<void> {
    this.closing ??= (async () => {
      if (this.discoverTimer) clearInterval(this.discoverTimer);
      const stopped = this.listening ? new Promise<void>((resolve) => this.ssh.close(() => resolve())) : Promise.resolve();
      const graceful = opts.graceful ?? true;
      if (graceful) this.broadcast({ type: 'reconnect', reason: 'the proxy is shutting down' });
      const closed = [...this.conns].map((conn) => new Promise<void>((resolve) => {
        conn.once('close', () => resolve());
        if (graceful) conn.end();
        else connectionSocket(conn)?.destroy();
      }));
      const timer = setTimeout(() => {
        for (const conn of this.conns) connectionSocket(conn)?.destroy();
      }, CLOSE_GRACE_MS);
      await Promise.all([stopped, ...closed]);
      clearTimeout(timer);
      this.logger.info('reverse tunnel server stopped');
    })();
    return this.closing;
  }

  private async refreshProxies(): Promise<void> {
    try {
      const list = await this.discover?.();
      if (list && !this.closing) this.setProxies(list);
    } catch (err) {
      this.logger.warn({ err: errorMessage(err) }, 'could not list proxies for agents; keeping the last list');
    }
  }

  private broadcast(msg: ControlMessage): void {
    const frame = encodeFrame(msg);
    for (const a of this.agents.values()) for (const ch of a.controls) ch.write(frame);
  }

  private onConnection(conn: Connection, info: ClientInfo): void {
    // Tunnels carry interactive traffic (SSH sessions, database queries): no Nagle delay.
    connectionSocket(conn)?.setNoDelay?.(true);
    if (this.closing) {
      connectionSocket(conn)?.destroy();
      return;
    }
    this.conns.add(conn);
    const remoteAddr = info.ip?.includes(':') ? `[${info.ip}]:${info.port}` : `${info.ip ?? ''}:${info.port ?? 0}`;
    const log = this.logger.child({ remote: remoteAddr });
    let agent: ConnectedAgent | undefined;
    let entry: AgentConn | undefined;
    conn.on('error', (err: Error & { level?: string }) => {
      log.debug({ err: err.message, hostId: agent?.hostId }, 'agent connection error');
      // ssh2's server only half-closes on a keepalive timeout; a frozen peer never answers that.
      if (err.level === 'client-timeout') connectionSocket(conn)?.destroy();
    });
    conn.on('authentication', (ctx: AuthContext) => {
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      const res = authenticateAgent(ctx, { hostCAKeys: this.hostCAKeys(), clusterName: this.clusterName, now: this.opts.clock.now() });
      if (!res.ok) {
        log.warn({ user: ctx.username }, `refused a reverse tunnel agent: ${res.reason}`);
        return ctx.reject(['publickey']);
      }
      if (res.agent) agent = { ...res.agent, remoteAddr, connectedAt: this.opts.clock.now() };
      ctx.accept();
    });
    conn.on('ready', () => {
      if (!agent) return conn.end();
      const who = agent;
      entry = { agent: who, conn, controls: new Set() };
      const own = entry;
      // @types/ssh2 lists only the tcpip-forward names; ssh2 also emits the OpenSSH streamlocal ones.
      conn.on('request', (accept, reject, rawName, reqInfo) => {
        const name: string = rawName;
        const path = (reqInfo as { socketPath?: string } | undefined)?.socketPath;
        if (name === 'streamlocal-forward@openssh.com' && path === TRANSPORT_SOCKET) {
          accept?.();
          this.register(own, log);
        } else if (name === 'cancel-streamlocal-forward@openssh.com' && path === TRANSPORT_SOCKET) {
          accept?.();
          this.unregister(own);
        } else {
          reject?.();
        }
      });
      conn.on('session', (accept) => {
        const session = accept();
        session.on('subsystem', (acceptSub, rejectSub, sub: { name: string }) => {
          if (sub.name !== CONTROL_SUBSYSTEM) return rejectSub();
          this.serveControl(own, acceptSub(), log);
        });
        session.on('exec', (_a, rejectExec) => rejectExec());
        session.on('shell', (_a, rejectShell) => rejectShell());
        session.on('pty', (_a, rejectPty) => rejectPty?.());
      });
      conn.on('tcpip', (_accept, reject) => reject());
      conn.on('openssh.streamlocal', (_accept, reject) => reject());
    });
    conn.once('close', () => {
      this.conns.delete(conn);
      if (entry) this.unregister(entry);
      if (agent) log.info({ hostId: agent.hostId }, 'agent tunnel closed');
    });
  }

  private register(entry: AgentConn, log: Logger): void {
    const { hostId } = entry.agent;
    const key = agentKey(hostId, entry.agent.role);
    const old = this.agents.get(key);
    if (old === entry) return;
    this.agents.set(key, entry);
    if (old) {
      log.info({ hostId }, 'agent reconnected; closing its previous tunnel');
      old.conn.end();
    }
    log.info({ hostId, role: entry.agent.role }, 'agent tunnel established');
    this.emit('agent', { ...entry.agent });
  }

  private unregister(entry: AgentConn): void {
    const key = agentKey(entry.agent.hostId, entry.agent.role);
    if (this.agents.get(key) !== entry) return;
    this.agents.delete(key);
    this.emit('agentGone', entry.agent.hostId);
  }

  private serveControl(entry: AgentConn, ch: ServerChannel, log: Logger): void {
    entry.controls.add(ch);
    ch.on('error', () => undefined);
    ch.once('close', () => entry.controls.delete(ch));
    const send = (m: ControlMessage): boolean => ch.write(encodeFrame(m));
    readFrames(ch, (v) => {
      try {
        const m = parseControlMessage(v);
        if (m.type === 'ping') send({ type: 'pong' });
      } catch (err) {
        log.debug({ err: errorMessage(err) }, 'ignoring a control message');
      }
    }, (err) => log.warn({ hostId: entry.agent.hostId, err: err.message }, 'control channel protocol error'));
    send({ type: 'hello', host_id: this.opts.identity.hostId, cluster: this.clusterName });
    send({ type: 'proxies', proxies: this.proxies });
    if (this.closing) send({ type: 'reconnect', reason: 'the proxy is shutting down' });
  }
}
