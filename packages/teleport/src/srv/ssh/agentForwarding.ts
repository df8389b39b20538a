/**
 * @module srv/ssh/agentForwarding
 * Agent forwarding (`ssh -A`, `auth-agent-req@openssh.com`): a per-session unix socket in a private
 * directory owned by the OS user (0700, so only they and root can reach it) becomes the session's
 * SSH_AUTH_SOCK; each connection to it opens an `auth-agent@openssh.com` channel back to the
 * client, which connects it to the user's own agent. Allowed only when the roles allow
 * `forward_agent` and the certificate has `permit-agent-forwarding`.
 */
import { chown, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Connection } from 'ssh2';
import type { ConnContext } from './context.ts';
import type { OSUser } from './osUser.ts';
import { openAgentChannel } from '../../sshutils/ssh2Internals.ts';

/** Why agent forwarding is refused for this connection, or undefined when allowed. */
export function agentForwardingDenial(c: ConnContext): string | undefined {
  if (!c.user.checker.canForwardAgents()) {
    return `agent forwarding is not allowed by your roles (${c.user.checker.roleNames().join(', ')}): ask for a role with forward_agent: true`;
  }
  if (!c.user.identity.permitAgentForwarding) {
    return "your certificate does not permit agent forwarding (no permit-agent-forwarding extension): run 'tsh login' again";
  }
  return undefined;
}

/** A forwarded agent socket for one session. */
export class AgentForwarder {
  private readonly sockets = new Set<net.Socket>();

  private constructor(private readonly dir: string, private readonly server: net.Server, readonly socketPath: string) {}

  /** Creates the private directory and socket, owned by `user`, forwarding to `conn`'s client. */
  static async start(conn: Connection, user: OSUser): Promise<AgentForwarder> {
    const dir = await mkdtemp(path.join(tmpdir(), 'teleport-agent-'));
    try {
      const socketPath = path.join(dir, `agent.${process.pid}`);
      const server = net.createServer((sock) => fwd.forward(conn, sock));
      const fwd = new AgentForwarder(dir, server, socketPath);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socketPath, () => resolve());
      });
      server.on('error', () => undefined);
      await chown(socketPath, user.uid, user.gid);
      await chown(dir, user.uid, user.gid); // mkdtemp made it 0700
      return fwd;
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Stops listening, drops open agent connections and removes the directory. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.dir, { recursive: true, force: true });
  }

  private forward(conn: Connection, sock: net.Socket): void {
    this.sockets.add(sock);
    sock.once('close', () => this.sockets.delete(sock));
    sock.on('error', () => undefined);
    sock.pause();
    openAgentChannel(conn).then((channel) => {
      channel.on('error', () => sock.destroy());
      sock.pipe(channel);
      channel.pipe(sock);
      channel.once('close', () => sock.destroy());
      sock.once('close', () => channel.destroy());
      sock.resume();
    }, () => sock.destroy());
  }
}
