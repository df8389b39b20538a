/**
 * @module reversetunnel/agent
 * One agent's tunnel to one proxy: an ssh2 Client connection dialled out from behind NAT, either as
 * plain TCP to the tunnel listener (3024) or as TLS to the web port (3080) with ALPN
 * `teleport-reversetunnel`. The agent logs in with its host certificate and accepts the proxy only if
 * it presents a host certificate from the cluster's host CA with role Proxy (and, when the pool
 * knows which proxy it expects, that proxy's host id). Then it asks the proxy to forward
 * {@link TRANSPORT_SOCKET} to it, opens the control channel and serves the proxy's transport
 * channels: each starts with a dial request, answered ok/error, then carries the raw stream.
 *
 * Events: `proxies` (ProxyEndpoint[]), `reconnect` (reason), `close` (Error | undefined).
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import ssh2 from 'ssh2';
import type { Channel, Client, ClientChannel } from 'ssh2';
import type { Clock } from '@teleport-ts/api/clock';
import { ConnectionProblemError, errorMessage, TrustError } from '@teleport-ts/api/errors';
import { verifyCertificate } from '@teleport-ts/api/sshcert/certificate';
import { decodeHostSSHIdentity } from '@teleport-ts/api/sshcert/identity';
import { blobKeyType, parseAuthorizedKey } from '@teleport-ts/api/sshcert/publicKey';
import type { LocalIdentity } from '../service/identityStore.ts';
import { sshClientAuthConfig } from '../sshutils/clientAuth.ts';
import type { Logger } from '../utils/logger.ts';
import { ALPN_REVERSE_TUNNEL, CONTROL_SUBSYSTEM, DIAL_TIMEOUT_MS, KEEPALIVE_COUNT_MAX, KEEPALIVE_INTERVAL_MS, TRANSPORT_SOCKET } from './constants.ts';
import { readFirstFrame, readFrames } from './frameIO.ts';
import { encodeFrame, parseControlMessage, parseDialRequest, type ControlMessage, type DialRequest } from './protocol.ts';
import { splitHostPort } from '../proxy/ssh/nodeResolver.ts';

/** Takes the stream of an accepted transport channel (e.g. the node's `injectSocket`). */
export type StreamConsumer = (stream: Duplex) => void;

/**
 * Decides a dial request. Return (or resolve with) what takes the stream, and the agent answers ok;
 * throw (or reject) and the agent answers with the error's message.
 */
export type TransportHandler = (req: DialRequest) => StreamConsumer | Promise<StreamConsumer>;

/** How an agent reaches a proxy. */
export interface TunnelDialOptions {
  /** host:port: the tunnel listener (3024), or the web port (3080) when `alpn` is set. */
  addr: string;
  /** TLS to the web port with ALPN teleport-reversetunnel instead of plain TCP. */
  alpn: boolean;
  /**
   * With `alpn`: do not check the web certificate. The tunnel stays authenticated either way: the
   * SSH layer inside verifies the proxy's host certificate against the cluster's host CA, so this
   * only matters for proxies with self-signed web certificates.
   */
  insecureTLS?: boolean;
}

/** Inputs of {@link TunnelAgent}. */
export interface TunnelAgentOptions extends TunnelDialOptions {
  /** The agent's identity: key, SSH host certificate, host CA keys, host id and cluster name. */
  identity: LocalIdentity;
  /** Current host CA key blobs; identity.sshHostCAKeys by default. */
  hostCAKeys?: () => Buffer[];
  /** When set, the proxy's host certificate must be this proxy's (its host id). */
  expectedProxyId?: string;
  handler: TransportHandler;
  clock: Clock;
  logger: Logger;
  keepAliveIntervalMs?: number;
  keepAliveCountMax?: number;
  /** Control-channel ping interval (default 30 s). */
  pingIntervalMs?: number;
  /** Longest wait from dialling to the proxy's hello (default 15 s). */
  connectTimeoutMs?: number;
}

/** A tunnel from this agent to one proxy. */
export class TunnelAgent extends EventEmitter {
  private client: Client | undefined;
  private sock: net.Socket | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private hostRejected: string | undefined;
  /** The proxy's host id, from its hello (set once connected). */
  proxyId: string | undefined;

  constructor(private readonly opts: TunnelAgentOptions) {
    super();
  }

  /**
   * Dials the proxy, authenticates both ways and waits for its hello. Rejects with
   * ConnectionProblemError (unreachable, ALPN refused, timed out) or TrustError (the proxy's
   * certificate is not acceptable, or the proxy refused ours).
   */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          reject(err);
        }
        this.close(err);
      };
      const timeoutMs = this.opts.connectTimeoutMs ?? 15_000;
      const timer = setTimeout(() => fail(new ConnectionProblemError(`no answer from the proxy at ${this.opts.addr} within ${timeoutMs / 1000}s`)), timeoutMs);
      timer.unref();
      this.once('hello', () => {
        settled = true;
        clearTimeout(timer);
        resolve();
      });
      this.once('close', (err?: Error) => fail(err ?? new ConnectionProblemError(`the tunnel to ${this.opts.addr} closed before the proxy said hello`)));
      this.dialSocket().then((sock) => this.connectSSH(sock), fail);
    });
  }

  /** Ends the tunnel (idempotent); `close` is emitted once, with `err` when it failed. */
  close(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.client?.end();
    this.sock?.destroy();
    this.emit('close', err);
  }

  private dialSocket(): Promise<net.Socket> {
    const { host, port } = splitHostPort(this.opts.addr);
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => reject(new ConnectionProblemError(`cannot reach the proxy at ${this.opts.addr}: ${err.code ?? err.message}`, { cause: err }));
      if (!this.opts.alpn) {
        // Interactive protocols: without TCP_NODELAY every small query waits ~40 ms for delayed ACKs (docs/benchmarks.md).
        const sock = net.connect({ host, port, noDelay: true });
        this.sock = sock;
        sock.once('error', onError);
        sock.once('connect', () => {
          sock.off('error', onError);
          resolve(sock);
        });
        return;
      }
      const noALPN = (): ConnectionProblemError => new ConnectionProblemError(
        `the web port at ${this.opts.addr} did not accept ALPN ${ALPN_REVERSE_TUNNEL}: it is not a Teleport proxy with reverse tunnels, ` +
          "or point the agent at the proxy's tunnel listener (3024) without ALPN",
      );
      const sock = tls.connect({
        host, port, ALPNProtocols: [ALPN_REVERSE_TUNNEL], rejectUnauthorized: this.opts.insecureTLS !== true,
        ...(net.isIP(host) === 0 && { servername: host }),
      });
      sock.setNoDelay(true);
      this.sock = sock;
      // Node's TLS server answers an ALPN list it shares nothing with by a fatal alert.
      sock.once('error', (err: NodeJS.ErrnoException) => (err.code === 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL' ? reject(noALPN()) : onError(err)));
      sock.once('secureConnect', () => {
        sock.removeAllListeners('error');
        sock.on('error', () => undefined); // ssh2 reports failures from here on
        if (sock.alpnProtocol !== ALPN_REVERSE_TUNNEL) {
          sock.destroy();
          reject(noALPN());
          return;
        }
        resolve(sock);
      });
    });
  }

  private connectSSH(sock: net.Socket): void {
    if (this.closed) return void sock.destroy();
    const { identity } = this.opts;
    const client = new ssh2.Client();
    this.client = client;
    const hostCAKeys = this.opts.hostCAKeys?.() ?? (identity.sshHostCAKeys ?? []).map((l) => parseAuthorizedKey(l).blob);
    const auth = sshClientAuthConfig({
      privateKeyPEM: identity.keyPEM, certLine: identity.sshCert ?? '', certType: 'host',
      username: `${identity.hostId}.${identity.clusterName}`, hostCAKeys, hostname: this.opts.expectedProxyId ?? '', clock: this.opts.clock,
    });
    client.on('error', (err: Error & { level?: string }) => {
      const why = this.hostRejected
        ? new TrustError(`refusing the proxy at ${this.opts.addr}: ${this.hostRejected}`)
        : err.level === 'client-authentication'
          ? new TrustError(`the proxy at ${this.opts.addr} refused this agent's host certificate: check that it was issued by this cluster and is not expired (the proxy's log says why)`)
          : new ConnectionProblemError(`the tunnel to ${this.opts.addr} failed: ${err.message}`, { cause: err });
      this.close(why);
    });
    client.on('close', () => this.close());
    client.on('unix connection', (info: { socketPath: string }, accept: () => Channel, reject: () => void) => {
      if (info.socketPath !== TRANSPORT_SOCKET) return reject();
      this.serveTransport(accept());
    });
    client.on('ready', () => this.onReady(client));
    client.connect({
      sock, ...auth, hostVerifier: (key: Buffer) => this.verifyProxy(key, hostCAKeys),
      strictVendor: false, readyTimeout: this.opts.connectTimeoutMs ?? 15_000,
      keepaliveInterval: this.opts.keepAliveIntervalMs ?? KEEPALIVE_INTERVAL_MS,
      keepaliveCountMax: this.opts.keepAliveCountMax ?? KEEPALIVE_COUNT_MAX,
    });
  }

  /** Only a current host certificate from the cluster's host CA, of a Proxy, (of the expected proxy). */
  private verifyProxy(key: Buffer, hostCAKeys: Buffer[]): boolean {
    try {
      if (!blobKeyType(key).endsWith('-cert-v01@openssh.com')) throw new TrustError('it presented a plain host key, not a host certificate of this cluster');
      const expected = this.opts.expectedProxyId;
      const cert = verifyCertificate(key, {
        now: this.opts.clock.now(), trustedCAKeys: hostCAKeys, certType: 'host',
        ...(expected !== undefined && { principal: `${expected}.${this.opts.identity.clusterName}` }),
      });
      const id = decodeHostSSHIdentity(cert);
      if (id.role !== 'Proxy') throw new TrustError(`its host certificate is for a ${id.role}, not a Proxy`);
      if (id.clusterName !== this.opts.identity.clusterName) throw new TrustError(`it belongs to cluster "${id.clusterName}"`);
      return true;
    } catch (err) {
      this.hostRejected = errorMessage(err);
      this.opts.logger.warn({ addr: this.opts.addr }, `refusing the proxy: ${this.hostRejected}`);
      return false;
    }
  }

  private onReady(client: Client): void {
    client.openssh_forwardInStreamLocal(TRANSPORT_SOCKET, (err?: Error | null) => {
      if (err) return this.close(new ConnectionProblemError(`the proxy at ${this.opts.addr} refused the transport forward: ${err.message}`));
      client.subsys(CONTROL_SUBSYSTEM, (subErr: Error | undefined, ch: ClientChannel) => {
        if (subErr) return this.close(new ConnectionProblemError(`the proxy at ${this.opts.addr} refused the control channel: ${subErr.message}`));
        this.serveControl(ch);
      });
    });
  }

  private serveControl(ch: ClientChannel): void {
    const send = (m: ControlMessage): void => void ch.write(encodeFrame(m));
    ch.on('error', () => undefined);
    ch.once('close', () => this.close());
    readFrames(ch, (v) => {
      let m: ControlMessage;
      try {
        m = parseControlMessage(v);
      } catch (err) {
        this.opts.logger.debug({ err: errorMessage(err) }, 'ignoring a control message');
        return;
      }
      switch (m.type) {
        case 'hello':
          this.proxyId = m.host_id;
          this.emit('hello', m);
          break;
        case 'proxies':
          this.emit('proxies', m.proxies);
          break;
        case 'reconnect':
          this.emit('reconnect', m.reason ?? 'the proxy asked agents to reconnect');
          break;
        case 'ping':
          send({ type: 'pong' });
          break;
        case 'pong':
          break;
      }
    }, (err) => this.close(new ConnectionProblemError(`control channel from ${this.opts.addr}: ${err.message}`)));
    this.pingTimer = setInterval(() => send({ type: 'ping' }), this.opts.pingIntervalMs ?? 30_000);
    this.pingTimer.unref();
  }

  private serveTransport(ch: Channel): void {
    ch.on('error', () => undefined);
    readFirstFrame(ch, DIAL_TIMEOUT_MS, 'dial request').then(async (v) => {
      const req = parseDialRequest(v);
      let consume: StreamConsumer;
      try {
        consume = await this.opts.handler(req);
      } catch (err) {
        ch.end(encodeFrame({ ok: false, error: errorMessage(err) }));
        return;
      }
      ch.write(encodeFrame({ ok: true }));
      consume(ch);
    }).catch((err: unknown) => {
      this.opts.logger.debug({ err: errorMessage(err) }, 'dropped a transport channel');
      ch.destroy();
    });
  }
}
