/**
 * @module client/ssh/proxyClient
 * tsh's SSH connection to the proxy (port 3023) and, over it, to nodes. The proxy authenticates the
 * user certificate and proves itself with a host certificate of the Proxy role; tsh then asks it for
 * a byte stream to a node, either with Teleport's subsystem `proxy:<node>:<port>@<cluster>` (the
 * default, what OpenSSH's ProxyCommand uses too) or with a plain `direct-tcpip` channel. The node
 * authenticates the user again and shows its own host certificate, so the proxy only relays bytes.
 */
import type { Duplex } from 'node:stream';
import type { Client, ClientChannel } from 'ssh2';
import type { Clock } from '@teleport-ts/api/clock';
import { ConnectionProblemError } from '@teleport-ts/api/errors';
import { openSSH } from './connection.ts';
import type { SSHUserKey } from './hostVerifier.ts';
import { joinHostPort } from './target.ts';

/** How to reach and authenticate to the proxy. */
export interface ProxyClientOptions {
  /** host:port of the proxy's SSH listener. */
  addr: string;
  key: SSHUserKey;
  /** SSH user presented to the proxy (the node login). */
  login: string;
  hostCAKeys: Buffer[];
  /** Cluster to route to (the subsystem's "@cluster" part). */
  cluster: string;
  clock?: Clock;
  debug?: (msg: string) => void;
}

/** A stream to a node through the proxy, and what the proxy said on it. */
export interface NodeStream {
  stream: Duplex;
  /** Text the proxy wrote to the channel's stderr (why a dial failed). */
  message(): string;
  /** The exit status the proxy sent on the channel (non-zero when it could not connect), if any. */
  exitStatus(): number | undefined;
}

/** How the proxy is asked for a node stream. */
export type DialMethod = 'subsystem' | 'direct-tcpip';

function splitAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(addr);
  if (!m) throw new ConnectionProblemError(`invalid proxy SSH address "${addr}": expected host:port; run 'tsh login' again`);
  return { host: (m[1] ?? m[2]) as string, port: Number(m[3]) };
}

/** An authenticated SSH connection to the proxy. */
export class ProxyClient {
  private closedByUs = false;
  private readonly ended: Promise<void>;

  private constructor(readonly client: Client, private readonly opts: ProxyClientOptions) {
    this.ended = new Promise((resolve) => client.once('close', () => resolve()));
  }

  /** host:port of the proxy, for messages. */
  get addr(): string {
    return this.opts.addr;
  }

  /**
   * True when the connection to the proxy ended without {@link close} (the proxy died or the network
   * broke), waiting up to `withinMs` for ssh2 to notice: a node channel often closes a moment
   * before the connection that carried it.
   */
  async lost(withinMs = 500): Promise<boolean> {
    if (this.closedByUs) return false;
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      this.ended.then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), withinMs))),
    ]);
    clearTimeout(timer);
    return ended && !this.closedByUs;
  }

  /** Connects and authenticates to the proxy; verifies its host certificate. */
  static async connect(opts: ProxyClientOptions): Promise<ProxyClient> {
    const { host, port } = splitAddr(opts.addr);
    const client = await openSSH({
      display: `proxy ${opts.addr}`, host, port, key: opts.key, login: opts.login, hostCAKeys: opts.hostCAKeys,
      names: [host], acceptRole: 'Proxy', ...(opts.clock && { clock: opts.clock }), ...(opts.debug && { debug: opts.debug }),
    });
    return new ProxyClient(client, opts);
  }

  /** Opens a byte stream to `node` (name, UUID or address) port `port`. */
  dialNode(node: string, port: number, method: DialMethod = 'subsystem'): Promise<NodeStream> {
    return new Promise((resolve, reject) => {
      const done = (err: Error | undefined, channel: ClientChannel): void => {
        if (err) {
          reject(new ConnectionProblemError(`the proxy cannot connect to ${joinHostPort(node, port)}: ${err.message}`, { cause: err }));
          return;
        }
        let said = '';
        let status: number | undefined;
        channel.stderr.on('data', (d: Buffer) => (said += d.toString()));
        channel.on('exit', (code: number | null) => (status = code ?? undefined));
        resolve({ stream: channel, message: () => said, exitStatus: () => status });
      };
      try {
        if (method === 'subsystem') this.client.subsys(`proxy:${joinHostPort(node, port)}@${this.opts.cluster}`, done);
        else this.client.forwardOut('127.0.0.1', 0, node, port, done);
      } catch (err) {
        reject(new ConnectionProblemError(`the connection to the proxy was lost: ${(err as Error).message}`, { cause: err }));
      }
    });
  }

  /** Closes the connection. */
  close(): void {
    this.closedByUs = true;
    this.client.end();
  }
}

/** What to connect to on the node. */
export interface NodeDialOptions {
  /** What the proxy is asked for (host UUID when known, else what the user typed). */
  node: string;
  port: number;
  /** Names the node's host certificate may list (see hostVerifier). */
  names: string[];
  /** Node name in messages. */
  display: string;
  login: string;
  key: SSHUserKey;
  hostCAKeys: Buffer[];
  agentForward?: string;
  method?: DialMethod;
  clock?: Clock;
  debug?: (msg: string) => void;
}

/** Connects to a node through the proxy and authenticates; resolves with the ready ssh2 client. */
export async function connectNode(proxy: ProxyClient, opts: NodeDialOptions): Promise<Client> {
  const ns = await proxy.dialNode(opts.node, opts.port, opts.method);
  const client = await openSSH({
    display: opts.display, sock: ns.stream, transportMessage: ns.message, key: opts.key, login: opts.login,
    hostCAKeys: opts.hostCAKeys, names: opts.names,
    ...(opts.agentForward && { agentForward: opts.agentForward }),
    ...(opts.clock && { clock: opts.clock }), ...(opts.debug && { debug: opts.debug }),
  });
  transportMessages.set(client, ns.message);
  return client;
}

const transportMessages = new WeakMap<Client, () => string>();

/**
 * What the proxy said on the channel that carries `node` (e.g. "the reverse tunnel to ... was
 * lost"), for a session that ended without an exit status; empty when it said nothing.
 */
export function transportMessageOf(node: Client): string {
  return transportMessages.get(node)?.().trim() ?? '';
}

