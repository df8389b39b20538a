/**
 * @module srv/db/postgres/proxyCancel
 * Helpers for the proxy to route *plaintext* CancelRequests. libpq before PostgreSQL 17 (so psql 15's
 * Ctrl-C) sends its CancelRequest on a new connection without TLS and without a certificate, which
 * postgresProxyHandshake otherwise refuses. PostgreSQL's own model is that the (process ID, secret
 * key) pair is the capability; a proxy that wants Ctrl-C to work can watch the BackendKeyData its
 * sessions pass to their clients (`BackendKeyWatcher`), remember key -> session route, and pass
 * `onPlaintextCancel` to the handshake to forward matching cancels through the tunnel with that
 * session's client certificate (the engine then forwards it to the database, see cancelRegistry.ts).
 */
import { parseBackendMessage } from './backend.ts';
import { MessageReader } from './messageReader.ts';

/** A BackendKeyData seen on a session. */
export interface BackendKey {
  processId: number;
  secretKey: number;
}

/**
 * Watches the server -> client bytes of a session's start for BackendKeyData. Feed chunks with `push`
 * until `done`; then stop (the rest of the session is not parsed).
 */
export class BackendKeyWatcher {
  private readonly reader = new MessageReader({ skip: (t) => t !== 'K' && t !== 'Z' && t !== 'E' });
  private finished = false;
  /** The key, once seen. */
  key: BackendKey | null = null;

  /** True once the key was seen or the startup ended without one (ReadyForQuery, ErrorResponse, bad bytes). */
  get done(): boolean {
    return this.finished;
  }

  /** Feeds server bytes; returns the key when this chunk revealed it. */
  push(chunk: Buffer): BackendKey | null {
    if (this.finished) return null;
    try {
      this.reader.push(chunk);
      for (let m = this.reader.next(); m; m = this.reader.next()) {
        const msg = parseBackendMessage(m);
        if (msg.kind === 'backendKeyData') {
          this.finished = true;
          this.key = { processId: msg.processId, secretKey: msg.secretKey };
          return this.key;
        }
        if (msg.kind === 'readyForQuery' || msg.kind === 'error') {
          this.finished = true;
          return null;
        }
      }
    } catch {
      this.finished = true;
    }
    return null;
  }
}

/** The handshake's rejection when a plaintext CancelRequest was handed to `onPlaintextCancel` (not an error to log loudly). */
export class CancelRequestHandled extends Error {
  constructor(
    readonly processId: number,
    readonly secretKey: number,
  ) {
    super('PostgreSQL CancelRequest handled by the proxy');
    this.name = 'CancelRequestHandled';
  }
}
