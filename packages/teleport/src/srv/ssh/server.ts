/**
 * @module srv/ssh/server
 * The node's SSH server: an ssh2 Server presenting the host certificate, fed by our own TCP
 * listener (so the proxy's reverse tunnel can hand over streams too, via injectSocket). It keeps
 * the live connections so it can end a deleted user's connections and close gracefully: stop
 * accepting, end sessions with a message, then disconnect everyone.
 */
import net from 'node:net';
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { EncryptedPrivateKey } from 'ssh2';
import type { NodeContext } from './context.ts';
import { NodeConnection } from './connection.ts';

/** Inputs of NodeSSHServer. */
export interface NodeSSHServerOptions {
  node: NodeContext;
  /** From sshServerHostKeys: the host certificate, then the plain key. */
  hostKeys: EncryptedPrivateKey[];
}

/** The SSH listener of the node service. */
export class NodeSSHServer {
  private readonly ssh: ssh2.Server;
  private readonly tcp: net.Server;
  private readonly connections = new Set<NodeConnection>();
  private readonly sockets = new Set<Duplex>();
  private closing = false;

  constructor(private readonly opts: NodeSSHServerOptions) {
    this.ssh = new ssh2.Server({ hostKeys: opts.hostKeys, ident: 'Teleport' }, (conn, info) => {
      const c: NodeConnection = new NodeConnection(opts.node, conn, info, () => this.connections.delete(c));
      this.connections.add(c);
    });
    this.ssh.on('error', (err: Error) => opts.node.logger.debug({ err: err.message }, 'SSH server error'));
    // noDelay: Go, and so upstream Teleport, disables Nagle on every TCP connection; with it on, an
    // upload's window adjusts wait for the sender's delayed ACKs (docs/benchmarks.md, Optimisations).
    this.tcp = net.createServer({ noDelay: true }, (sock) => this.injectSocket(sock));
  }

  /** Listens on host:port (port 0 picks one); resolves with the bound address. */
  listen(host: string, port: number): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      this.tcp.once('error', reject);
      this.tcp.listen(port, host, () => {
        this.tcp.removeListener('error', reject);
        this.tcp.on('error', (err) => this.opts.node.logger.warn({ err: err.message }, 'SSH listener error'));
        resolve(this.tcp.address() as net.AddressInfo);
      });
    });
  }

  /** Serves an already-connected stream (a TCP socket, or a reverse-tunnel channel). */
  injectSocket(sock: Duplex): void {
    if (this.closing) {
      sock.destroy();
      return;
    }
    this.sockets.add(sock);
    sock.once('close', () => this.sockets.delete(sock));
    sock.on('error', () => undefined);
    // ssh2 accepts any Duplex here; its typings say net.Socket.
    this.ssh.injectSocket(sock as net.Socket);
  }

  /** Connections currently open. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Ends every connection of Teleport user `username` with `reason`. */
  disconnectUser(username: string, reason: string): number {
    let n = 0;
    for (const c of this.connections) {
      if (c.username === username) {
        c.disconnect(reason);
        n++;
      }
    }
    return n;
  }

  /**
   * Stops accepting connections. Graceful: sessions end first (their participants are told
   * `message`), then connections are disconnected with it. Otherwise sockets are dropped at once.
   */
  async close(opts: { graceful: boolean; message: string }): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.tcp.close(() => resolve()));
    if (opts.graceful) {
      await this.opts.node.registry.terminateAll(opts.message);
      for (const c of this.connections) c.disconnect(opts.message);
      await waitUntil(() => this.sockets.size === 0, 2000);
    } else {
      // Hang up every terminal and command now; nobody waits for them to wind down.
      void this.opts.node.registry.terminateAll(opts.message);
    }
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

async function waitUntil(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
