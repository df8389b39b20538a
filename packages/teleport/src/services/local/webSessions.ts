/**
 * @module services/local/webSessions
 * Web UI sessions at /web_sessions/<id>: the user, the SHA-256 of the bearer token (never the token),
 * the private key auth generated for the session and the certificates issued for it. The record
 * expires with the certificates, so an expired session reads as missing. The private key makes the
 * record as sensitive as a user's `~/.tsh`: only auth's web-session code reads it.
 */
import { BadParameterError, NotFoundError, isNotFound } from '@teleport-ts/api/errors';
import { key } from '../../backend/backend.ts';
import type { Backend } from '../../backend/backend.ts';
import { checkName, getRecord, recordItem } from './resourceStore.ts';

const PREFIX = 'web_sessions';

/** One stored web session. */
export interface WebSessionRecord {
  /** Random id; the value of the `__Host-session` cookie. */
  id: string;
  user: string;
  /** The user's roles when the session was created (as in its certificates). */
  roles: string[];
  /** Hex SHA-256 of the bearer token. */
  bearerTokenSHA256: string;
  /** Epoch milliseconds. */
  created: number;
  /** Epoch milliseconds: the certificates' expiry, and the record's. */
  expires: number;
  /** PKCS#8 PEM of the session's private key. */
  privateKeyPEM: string;
  /** OpenSSH certificate line. */
  sshCert: string;
  /** PEM X.509 client certificate. */
  tlsCert: string;
  /** PEM host TLS CA certificates (verify auth). */
  tlsCACerts: string[];
  /** JSON of the host cert_authority resources without private keys (verify nodes). */
  hostCAsJSON: string[];
}

/** The message for a session that is missing or expired; never names the id (a secret). */
export const WEB_SESSION_GONE = 'your web session expired: log in again';

function sessionKey(id: string): string {
  checkName('web session', id);
  return key(PREFIX, id);
}

/** Stores web sessions. */
export class WebSessionsService {
  constructor(private readonly backend: Backend) {}

  /** Stores a new session; it expires at `record.expires`. */
  async createWebSession(record: WebSessionRecord): Promise<void> {
    if (!(record.expires > record.created)) throw new BadParameterError('web session must expire after it is created');
    await this.backend.create(recordItem(sessionKey(record.id), record, record.expires));
  }

  /** Reads a session; NotFoundError WEB_SESSION_GONE when it is unknown or expired. */
  async getWebSession(id: string): Promise<WebSessionRecord> {
    const found = await getRecord<WebSessionRecord>(this.backend, sessionKey(id));
    if (!found) throw new NotFoundError(WEB_SESSION_GONE);
    return found.value;
  }

  /** Deletes a session; NotFoundError when it is already gone. */
  async deleteWebSession(id: string): Promise<void> {
    try {
      await this.backend.delete(sessionKey(id));
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(WEB_SESSION_GONE);
      throw err;
    }
  }
}
