/**
 * @module proxy/db/tlsUpgrade
 * Upgrades an already-accepted database client socket to TLS and authenticates its client
 * certificate against the cluster's **user** CA. This is the safe pattern of dependencies.md ("TLS
 * trap"): `new tls.TLSSocket(socket, {isServer, requestCert, ca})` lets a certificate from a foreign
 * CA through, so every upgrade hands the socket to a real `tls.Server` with `server.emit('connection',
 * socket)` and trusts the `secureConnection` socket only when `authorized` is true, a peer certificate
 * is present, and (belt and braces) the certificate is checked again here against the CA list and
 * the injected clock. Every upgrade point (PostgreSQL SSLRequest, MySQL SSL capability, the ALPN
 * routes on 3080) goes through this one function.
 *
 * One handshake per tls.Server at a time: a connection maps to its server without reaching into
 * TLSSocket internals. Servers are pooled, though: building one builds its secure context (parse the
 * certificate, the key and every CA), which cost milliseconds of CPU per connection. A server goes
 * back to the pool only after its handshake finished (`secureConnection`: the TLS socket then emits
 * nothing more on the server); a server whose handshake failed, timed out or was abandoned is
 * dropped. The pool belongs to one trust list: `userCAs()` is read on every upgrade, and when it
 * differs the pool is emptied, so a CA rotation applies to the next connection.
 *
 * The server verifies with `rejectUnauthorized: false` and decides itself, instead of letting Node
 * drop the socket: with `true`, a refused client (TLS 1.3 finishes the handshake before the server
 * looks at the certificate) sees only a closed connection. Deciding here lets the caller answer inside
 * TLS with the protocol's own error ("client certificate expired ...: run 'tsh db login'"). The
 * decision is the same; nothing but an `authorized` socket with a verified certificate is ever
 * returned.
 *
 * What clients must trust: the proxy presents its **web certificate** (https_keypairs, or the
 * self-signed one in the data dir) on every database TLS upgrade, ALPN or dedicated listener alike.
 * With https_keypairs from a public CA, clients verify it as usual (psql sslmode=verify-full, mysql
 * --ssl-mode=VERIFY_IDENTITY, with the system roots or the issuing CA as sslrootcert/--ssl-ca).
 * With the self-signed certificate, clients pin that certificate itself (it is its own CA: sslrootcert
 * = the proxy's certificate; tsh fetches it with the TLS handshake of `tsh login`) or, if they cannot,
 * use sslmode=require / --ssl-mode=REQUIRED: the session stays authenticated by the client
 * certificate, which only this cluster's user CA can issue, but the proxy is then not authenticated.
 */
import { X509Certificate, constants } from 'node:crypto';
import type { Duplex } from 'node:stream';
import tls, { type TLSSocket } from 'node:tls';
import { systemClock, type Clock } from '@teleport-ts/api/clock';
import { AccessDeniedError, ConnectionProblemError } from '@teleport-ts/api/errors';
import type { UpgradeToTLS } from '../../srv/db/common/engine.ts';

/** Default limit for the client's TLS handshake. */
export const DB_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** Why a client certificate was refused. */
export type RefusalReason = 'no-certificate' | 'untrusted' | 'expired' | 'not-yet-valid';

/** A client refused after the TLS handshake: `socket` is still open so the caller can answer inside TLS. */
export interface TLSRefusal {
  socket: TLSSocket;
  error: AccessDeniedError;
  reason: RefusalReason;
  /** PEM of the refused certificate, when there was one (NOT trusted: for audit and logs only). */
  peerCertPEM?: string;
}

/** Inputs of {@link newUserTLSUpgrade}. */
export interface UserTLSUpgradeOptions {
  /** The proxy's server certificate and key (the web certificate). */
  certPEM: string;
  keyPEM: string;
  /** The user CA certificates (PEM) trusted now; read on every upgrade. */
  userCAs: () => string[];
  /** ALPN protocols the server accepts (ALPN routes on 3080); absent: no ALPN. */
  alpn?: string[];
  handshakeTimeoutMs?: number;
  clock?: Clock;
  /**
   * Answers a refused client (write the protocol's error inside TLS, then close; see
   * {@link answerAndClose}). Without it the socket is destroyed. The upgrade's promise rejects with
   * `refusal.error` either way; with `onRefused`, only after the TLS socket has closed, so the answer
   * is not cut short by a caller that destroys the socket on rejection.
   */
  onRefused?: (refusal: TLSRefusal) => void;
}

/** An upgrade function with a `close()` that aborts every handshake still in progress. */
export type UserTLSUpgrade = UpgradeToTLS & {
  close(): void;
  /** tls.Servers built so far (each builds a secure context); for tests and metrics. */
  readonly serversBuilt: number;
};

/** Most idle servers kept per pool (one per handshake that may run at once). */
const MAX_IDLE_SERVERS = 64;

/**
 * Builds the upgrade function: resolves with the `secureConnection` socket when the client presented
 * a certificate from the user CA that is valid now; rejects with AccessDeniedError (missing,
 * foreign-CA, expired certificate) or ConnectionProblemError (handshake failed or timed out).
 */
export function newUserTLSUpgrade(opts: UserTLSUpgradeOptions): UserTLSUpgrade {
  const clock = opts.clock ?? systemClock;
  const inFlight = new Set<Duplex>();
  let closed = false;
  let serversBuilt = 0;
  // Idle servers for the trust list `poolCAs` (see the module comment).
  let poolCAs = '';
  let idle: tls.Server[] = [];
  const takeServer = (cas: string[]): { server: tls.Server; release(): void } => {
    const key = cas.join('\n');
    if (key !== poolCAs) {
      poolCAs = key;
      idle = [];
    }
    let server = idle.pop();
    if (!server) {
      serversBuilt++;
      server = tls.createServer({
        cert: opts.certPEM, key: opts.keyPEM, ca: cas,
        requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2',
        // No session tickets: a pooled server must not resume a session minted for an earlier
        // connection (each handshake presents and checks a client certificate afresh).
        secureOptions: constants.SSL_OP_NO_TICKET,
        ...(opts.alpn && { ALPNProtocols: opts.alpn }),
      });
    }
    const s = server;
    return {
      server: s,
      release: () => {
        if (!closed && poolCAs === key && idle.length < MAX_IDLE_SERVERS) idle.push(s);
      },
    };
  };
  const upgrade = (socket: Duplex): Promise<TLSSocket> => new Promise<TLSSocket>((resolve, reject) => {
    if (closed) {
      socket.destroy();
      return reject(new ConnectionProblemError('the database proxy is shutting down'));
    }
    const cas = opts.userCAs();
    if (cas.length === 0) {
      socket.destroy();
      return reject(new ConnectionProblemError("the proxy does not know the cluster's user CA yet: try again in a moment"));
    }
    let settled = false;
    const done = (err?: Error, tlsSocket?: TLSSocket): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      inFlight.delete(socket);
      socket.removeListener('close', onClose);
      if (err) reject(err);
      else resolve(tlsSocket as TLSSocket);
    };
    const onClose = (): void => done(new ConnectionProblemError('the client closed the connection during the TLS handshake'));
    const timeoutMs = opts.handshakeTimeoutMs ?? DB_TLS_HANDSHAKE_TIMEOUT_MS;
    const timer = setTimeout(() => {
      done(new ConnectionProblemError(`the client did not finish the TLS handshake within ${timeoutMs / 1000}s`));
      socket.destroy();
    }, timeoutMs);
    timer.unref();
    inFlight.add(socket);
    socket.once('close', onClose);
    socket.on('error', () => undefined);

    const { server, release } = takeServer(cas);
    const onClientError = (err: Error, tlsSocket: TLSSocket): void => {
      // This server is not reused: it is dropped with its failed handshake.
      server.off('secureConnection', onSecure);
      tlsSocket.destroy();
      done(new ConnectionProblemError(`TLS handshake with the database client failed: ${err.message}`, { cause: err }));
    };
    const onSecure = (tlsSocket: TLSSocket): void => {
      server.off('tlsClientError', onClientError);
      tlsSocket.on('error', () => undefined);
      if (settled) {
        // Timed out or abandoned meanwhile: nobody will use this socket.
        tlsSocket.destroy();
        return;
      }
      // The handshake is over: its socket emits nothing more on the server, which may take the next one.
      release();
      const verdict = checkClient(tlsSocket, cas, clock);
      if ('refusal' in verdict) {
        const { error } = verdict.refusal;
        if (!opts.onRefused) {
          tlsSocket.destroy();
          return done(error);
        }
        // Settle only once the answer is out and the socket closed: callers typically destroy the
        // raw socket on rejection, which would reset the connection before the client read it.
        clearTimeout(timer);
        socket.removeListener('close', onClose);
        tlsSocket.once('close', () => done(error));
        opts.onRefused(verdict.refusal);
        return;
      }
      done(undefined, tlsSocket);
    };
    server.once('tlsClientError', onClientError);
    server.once('secureConnection', onSecure);
    server.emit('connection', socket);
  });
  const withClose = Object.assign(upgrade, {
    close(): void {
      closed = true;
      idle = [];
      for (const s of inFlight) s.destroy();
      inFlight.clear();
    },
  });
  // A getter (Object.assign would copy today's value).
  return Object.defineProperty(withClose, 'serversBuilt', { get: () => serversBuilt, enumerable: true }) as UserTLSUpgrade;
}

const LOGIN_HINT = "run 'tsh db login <db>' (tsh db config shows the client options)";

/** The verdict on a finished handshake. Exported for tests. */
export function checkClient(socket: TLSSocket, cas: readonly string[], clock: Clock): { ok: true } | { refusal: TLSRefusal } {
  const peer = socket.getPeerCertificate();
  const refuse = (reason: RefusalReason, message: string, pem?: string): { refusal: TLSRefusal } => ({
    refusal: { socket, reason, error: new AccessDeniedError(message), ...(pem && { peerCertPEM: pem }) },
  });
  if (!peer || !peer.raw || peer.raw.length === 0) return refuse('no-certificate', `no client certificate: ${LOGIN_HINT}`);
  const leaf = new X509Certificate(peer.raw);
  const pem = leaf.toString();
  const now = clock.now();
  const notAfter = new Date(leaf.validTo);
  const notBefore = new Date(leaf.validFrom);
  const expired = (): { refusal: TLSRefusal } =>
    refuse('expired', `client certificate expired at ${notAfter.toISOString()}: ${LOGIN_HINT}`, pem);
  const early = (): { refusal: TLSRefusal } =>
    refuse('not-yet-valid', `client certificate is not valid before ${notBefore.toISOString()}: check the clocks of this host and the client`, pem);
  // Our own check of the signature against the CA list, whatever OpenSSL said: a foreign
  // certificate is refused as such even when it is also expired, and only certificates this
  // cluster issued are ever reported (and audited) as expired.
  const signed = cas.some((caPEM) => {
    try {
      const ca = new X509Certificate(caPEM);
      return leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
    } catch {
      return false;
    }
  });
  if (!signed) return refuse('untrusted', `client certificate not signed by this cluster's user CA: ${LOGIN_HINT}`, pem);
  if (!socket.authorized) {
    const code = String(socket.authorizationError ?? '');
    if (code === 'CERT_HAS_EXPIRED') return expired();
    if (code === 'CERT_NOT_YET_VALID') return early();
    return refuse('untrusted', `client certificate refused (${code || 'not verified'}): ${LOGIN_HINT}`, pem);
  }
  if (now > notAfter) return expired();
  if (now < notBefore) return early();
  return { ok: true };
}

/**
 * Sends `bytes` (a protocol error) on a refused TLS socket and closes it gracefully: end, then keep
 * reading what the client still sends, so the kernel does not answer with a reset that could discard
 * the error before the client reads it. Destroyed after `graceMs` at the latest.
 */
export function answerAndClose(socket: Duplex, bytes: Buffer, graceMs = 2_000): void {
  socket.on('error', () => undefined);
  const timer = setTimeout(() => socket.destroy(), graceMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.resume();
  socket.end(bytes);
}
