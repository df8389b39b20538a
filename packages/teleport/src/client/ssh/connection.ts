/**
 * @module client/ssh/connection
 * Opens one ssh2 client connection (to the proxy, or to a node over a stream through the proxy) and
 * turns ssh2's terse failures into errors a person can act on: a refused host certificate is a
 * TrustError with the reason, a refused user certificate is "access denied to login@host: ..." with
 * whatever the server or the proxy said, and anything else is a ConnectionProblemError.
 */
import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import type { Client, ConnectConfig } from 'ssh2';
import { AccessDeniedError, ConnectionProblemError, NotFoundError, TrustError } from '@teleport-ts/api/errors';
import { sshConfig, type SSHConfigOptions } from './hostVerifier.ts';

/** Where to connect and how the server is named in messages. */
export interface OpenSSHOptions extends SSHConfigOptions {
  /** Name used in messages ("node1", "proxy.example.com:3023"). */
  display: string;
  /** Either a TCP destination... */
  host?: string;
  port?: number;
  /** ...or an established stream (a channel through the proxy). */
  sock?: Duplex;
  /** Text the transport reported (the proxy's stderr on the channel), for error messages. */
  transportMessage?: () => string;
  /** Path of an ssh-agent socket to forward (`-A`). */
  agentForward?: string;
  /** Handshake timeout (default 15s). */
  readyTimeoutMs?: number;
  /** ssh2 debug sink. */
  debug?: (msg: string) => void;
}

/** Connects and authenticates; resolves with the ready client. */
export function openSSH(opts: OpenSSHOptions): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let rejectedHost: string | undefined;
    let banner = '';
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      client.end();
      reject(err);
    };
    client.on('banner', (msg: string) => (banner += msg));
    client.on('ready', () => {
      settled = true;
      client.removeListener('error', onError);
      client.on('error', () => undefined); // later errors surface through the channels in use
      resolve(client);
    });
    const onError = (err: Error & { level?: string }): void => {
      const said = [banner, opts.transportMessage?.() ?? ''].map(cleanMessage).filter(Boolean).join('; ');
      if (rejectedHost !== undefined) {
        return fail(new TrustError(`refusing to connect to ${opts.display}: ${rejectedHost}`, { cause: err }));
      }
      if (err.level === 'client-authentication' || /authentication methods failed/i.test(err.message)) {
        const why = said || `${opts.display} refused the certificate for login "${opts.login}": check that your roles allow this login on it ('tsh status' lists your logins)`;
        return fail(new AccessDeniedError(`access denied to ${opts.login}@${opts.display}: ${why}`, { cause: err }));
      }
      if (err.level === 'client-timeout') {
        return fail(new ConnectionProblemError(`timed out connecting to ${opts.display}${said ? `: ${said}` : ''}`, { cause: err }));
      }
      const why = said || err.message;
      // The proxy's "node 'x' not found; 'tsh ls' lists nodes" already says what to do: pass it on as is.
      if (/^node '.*' not found/.test(why)) return fail(new NotFoundError(why, { cause: err }));
      return fail(new ConnectionProblemError(`cannot connect to ${opts.display}: ${why}`, { cause: err }));
    };
    client.on('error', onError);
    client.on('close', () => {
      if (!settled) onError(new Error('connection closed during the handshake'));
    });
    const config: ConnectConfig = {
      ...sshConfig({ ...opts, onRejected: (r) => (rejectedHost = r) }),
      readyTimeout: opts.readyTimeoutMs ?? 15_000,
      keepaliveInterval: 30_000,
      ...(opts.sock ? { sock: opts.sock } : { host: opts.host ?? '', port: opts.port ?? 22 }),
      ...(opts.agentForward && { agent: opts.agentForward, agentForward: true }),
      ...(opts.debug && { debug: opts.debug }),
    };
    try {
      client.connect(config);
      // Go (and so upstream's tsh) disables Nagle on every TCP connection; so do we, or window adjusts and keystrokes wait for ACKs.
      client.setNoDelay(true);
    } catch (err) {
      fail(new ConnectionProblemError(`cannot connect to ${opts.display}: ${(err as Error).message}`, { cause: err }));
    }
  });
}

/** A server's message as one line, without the "ERROR: " prefix the proxy puts on its stderr. */
function cleanMessage(text: string): string {
  return text.split('\n').map((l) => l.trim().replace(/^ERROR:\s*/, '')).filter(Boolean).join('; ');
}
