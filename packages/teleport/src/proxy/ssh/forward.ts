/**
 * @module proxy/ssh/forward
 * The byte pipe between a client's SSH channel and a node: dialling the node's registered address
 * and joining the two streams so that the end or failure of either side ends the other. The
 * client's own SSH session runs inside this pipe, end to end with the node, which authenticates the
 * user again; the proxy sees only ciphertext.
 */
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ServerChannel } from 'ssh2';
import { ConnectionProblemError } from '@teleport-ts/api/errors';
import type { Server } from '@teleport-ts/api/types/server';
import { splitHostPort } from './nodeResolver.ts';
import { streamLostReason } from '../../utils/streamLoss.ts';

/** Opens a byte stream to a node; rejects with a TeleportError a person can act on. */
export type NodeDialer = (node: Server, signal: AbortSignal, clientAddr?: string) => Promise<Duplex>;

/** How long a TCP dial to a node may take. */
export const NODE_DIAL_TIMEOUT_MS = 10_000;
/** TCP keepalive towards nodes, so half-dead peers are noticed by the kernel. */
const TCP_KEEPALIVE_MS = 30_000;

/** A human name for a node in messages: "node1 (uuid)". */
export const describeNode = (n: Server): string => `'${n.spec.hostname}' (${n.metadata.name})`;

/** The default dialer: TCP to the node's spec.addr. */
export const dialNodeTCP: NodeDialer = (node, signal) => {
  if (!node.spec.addr) {
    return Promise.reject(new ConnectionProblemError(
      `node ${describeNode(node)} has no address and is reachable only through a reverse tunnel, which this proxy does not serve`,
    ));
  }
  const { host, port } = splitHostPort(node.spec.addr);
  return new Promise((resolve, reject) => {
    // Not `connect({signal})`: Node keeps that abort listener until the signal fires, so every node
    // connection would leave one (and its socket) on the proxy's long-lived shutdown signal.
    if (signal.aborted) return reject(new ConnectionProblemError('the proxy is shutting down'));
    const sock = connect({ host, port: port || 3022, timeout: NODE_DIAL_TIMEOUT_MS });
    const onAbort = (): void => void sock.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    sock.once('close', () => signal.removeEventListener('abort', onAbort));
    const fail = (why: string): void => {
      sock.destroy();
      reject(new ConnectionProblemError(`cannot reach node ${describeNode(node)} at ${node.spec.addr}: ${why}; is its SSH service running?`));
    };
    sock.once('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
    sock.once('timeout', () => fail(`no answer in ${NODE_DIAL_TIMEOUT_MS / 1000}s`));
    sock.once('connect', () => {
      sock.removeAllListeners('error');
      sock.removeAllListeners('timeout');
      sock.setTimeout(0);
      sock.setNoDelay(true);
      sock.setKeepAlive(true, TCP_KEEPALIVE_MS);
      resolve(sock);
    });
  });
};

/** Hooks of {@link bridge}. */
export interface BridgeOptions {
  /** Called once when the pipe is torn down, with the error that ended it if any. */
  onClose?: (err?: Error) => void;
  /**
   * Called when the node ends its side cleanly, before the channel is ended (the proxy subsystem
   * sends an exit status here).
   */
  onNodeEnd?: () => void;
  /** Called when the node side fails, before the channel is ended. */
  onNodeError?: (err: Error) => void;
}

/**
 * Joins an accepted channel and a node stream. Client EOF half-closes the node stream; the node's
 * end or failure ends the channel (an ssh2 server channel sends EOF and CLOSE together); the
 * channel closing destroys the node stream. Returns a function that tears both down.
 */
export function bridge(channel: ServerChannel, node: Duplex, opts: BridgeOptions = {}): () => void {
  let done = false;
  const finish = (err?: Error): void => {
    if (done) return;
    done = true;
    node.destroy();
    channel.destroy();
    opts.onClose?.(err);
  };
  channel.pipe(node); // client EOF -> node.end()
  node.pipe(channel, { end: false });
  // A lost reverse tunnel also ends with EOF; the tunnel marks it as it closes, a moment later,
  // so the end is reported (and the channel closed) one turn after the EOF.
  let ended: Promise<void> = Promise.resolve();
  node.once('end', () => {
    ended = new Promise((resolve) => setImmediate(() => {
      const lost = streamLostReason(node);
      if (lost) opts.onNodeError?.(new ConnectionProblemError(lost));
      else opts.onNodeEnd?.();
      channel.end();
      resolve();
    }));
  });
  node.once('error', (err: Error) => {
    opts.onNodeError?.(err);
    finish(err);
  });
  node.once('close', () => {
    void ended.then(() => {
      // Let buffered output drain to the client before closing the channel.
      if (channel.writableFinished || channel.writableLength === 0) finish();
      else channel.once('finish', () => finish());
    });
  });
  channel.once('close', () => finish());
  channel.on('error', (err: Error) => finish(err));
  return () => finish();
}
