/**
 * @module services/local/provisioning
 * Join (provision) tokens at /tokens/<name>, and `consumeProvisionToken`, the check an agent's join goes
 * through. The token name is the secret, so no message repeats it. Because an expired or spent token
 * disappears from the backend, a small history record (/tokens_history/<sha256 of name>, kept a day) lets
 * a failed join say whether the token was unknown, expired or already used.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '@teleport-ts/api/clock';
import {
  AccessDeniedError,
  BadParameterError,
  RetryError,
  isCompareFailed,
  isNotFound,
} from '@teleport-ts/api/errors';
import type { ProvisionToken } from '@teleport-ts/api/types/token';
import { key } from '../../backend/backend.ts';
import type { Backend, Item } from '../../backend/backend.ts';
import {
  checkName,
  createJSON,
  deleteKey,
  expiresMs,
  fromItem,
  getJSON,
  getRecord,
  listJSON,
  putJSON,
  recordItem,
  toItem,
} from './resourceStore.ts';

const TOKENS = 'tokens';
const HISTORY = 'tokens_history';
const LABEL = 'join token';
/** How long a token's fate is remembered after it expires or is used up. */
const HISTORY_TTL_MS = 24 * 3600_000;
/** Attempts at the uses counter before giving up under contention. */
const MAX_CAS_ATTEMPTS = 16;

interface TokenHistory {
  /** Epoch ms the token expires (or expired). */
  expires?: number;
  /** Set when max_uses was reached. */
  usedUp?: boolean;
}

function tokenKey(name: string): string {
  checkName('join token', name);
  return key(TOKENS, name);
}

function historyKey(name: string): string {
  return key(HISTORY, createHash('sha256').update(name).digest('hex'));
}

function checkToken(token: ProvisionToken): void {
  if (token.kind !== 'token') throw new BadParameterError(`expected a resource of kind token, got '${String(token.kind)}'`);
  const max = token.spec.max_uses;
  if (max !== undefined && (!Number.isInteger(max) || max < 1)) {
    throw new BadParameterError('token spec.max_uses must be a whole number of at least 1');
  }
}

const hint = "create a new one with 'tctl tokens add'";

function expiredError(at: number): AccessDeniedError {
  return new AccessDeniedError(`join token expired at ${new Date(at).toISOString()}: ${hint}`);
}

function usedError(): AccessDeniedError {
  return new AccessDeniedError(`join token has already been used the maximum number of times: ${hint}`);
}

/** Stores join tokens. */
export class ProvisioningService {
  constructor(private readonly backend: Backend) {}

  /** Reads a token; NotFoundError "join token not found". */
  async getToken(name: string): Promise<ProvisionToken> {
    return getJSON<ProvisionToken>(this.backend, tokenKey(name), LABEL);
  }

  /** Lists live tokens (including their secret names: callers mask them for most users). */
  async listTokens(): Promise<ProvisionToken[]> {
    return listJSON<ProvisionToken>(this.backend, key(TOKENS) + '/');
  }

  /** Creates a token; AlreadyExistsError "join token already exists". */
  async createToken(token: ProvisionToken): Promise<ProvisionToken> {
    checkToken(token);
    const stored = await createJSON(this.backend, tokenKey(token.metadata.name), token, LABEL);
    await this.rememberExpiry(token);
    return stored;
  }

  /** Creates or overwrites a token. */
  async upsertToken(token: ProvisionToken): Promise<ProvisionToken> {
    checkToken(token);
    const stored = await putJSON(this.backend, tokenKey(token.metadata.name), token);
    await this.rememberExpiry(token);
    return stored;
  }

  /** Deletes a token (a revoked token then reads as unknown); NotFoundError "join token not found". */
  async deleteToken(name: string): Promise<void> {
    await deleteKey(this.backend, tokenKey(name), LABEL);
    await this.forget(name);
  }

  /**
   * Validates a join and counts it. Rejects with AccessDeniedError saying whether the token is unknown,
   * expired or already used. With `spec.max_uses`, increments `spec.uses` by compareAndSwap (retrying on
   * contention, so concurrent joins never overspend) and deletes the token once spent. Returns the token
   * as it was counted.
   */
  async consumeProvisionToken(name: string, clock: Clock): Promise<ProvisionToken> {
    const k = tokenKey(name);
    let sawToken = false;
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      let item: Item;
      try {
        item = await this.backend.get(k);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        // It vanished while we were counting: a concurrent join spent it.
        if (sawToken) throw usedError();
        throw await this.goneError(name);
      }
      sawToken = true;
      const token = fromItem<ProvisionToken>(item);
      const expires = expiresMs(token);
      if (expires !== undefined && expires <= clock.nowMs()) throw expiredError(expires);
      const max = token.spec.max_uses;
      if (max === undefined) return token;
      const uses = token.spec.uses ?? 0;
      if (uses >= max) throw usedError();

      const counted: ProvisionToken = { ...token, spec: { ...token.spec, uses: uses + 1 } };
      try {
        const lease = await this.backend.compareAndSwap(item, toItem(k, counted));
        counted.metadata = { ...counted.metadata, revision: lease.revision };
      } catch (err) {
        if (isCompareFailed(err) || isNotFound(err)) continue;
        throw err;
      }
      if (uses + 1 >= max) await this.retire(name, clock);
      return counted;
    }
    throw new RetryError('join token is busy: too many agents are joining with it at once; try again');
  }

  /** Deletes a spent token and remembers why. Our compareAndSwap already won, so losing the delete is fine. */
  private async retire(name: string, clock: Clock): Promise<void> {
    try {
      await this.backend.delete(tokenKey(name));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const history: TokenHistory = { usedUp: true };
    await this.backend.put(recordItem(historyKey(name), history, clock.nowMs() + HISTORY_TTL_MS));
  }

  private async rememberExpiry(token: ProvisionToken): Promise<void> {
    const expires = expiresMs(token);
    if (expires === undefined) return this.forget(token.metadata.name);
    const history: TokenHistory = { expires };
    await this.backend.put(recordItem(historyKey(token.metadata.name), history, expires + HISTORY_TTL_MS));
  }

  private async forget(name: string): Promise<void> {
    try {
      await this.backend.delete(historyKey(name));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Explains a missing token. History that survives without a token means the token expired (deletes clear it). */
  private async goneError(name: string): Promise<AccessDeniedError> {
    const history = (await getRecord<TokenHistory>(this.backend, historyKey(name)))?.value;
    if (history?.usedUp) return usedError();
    if (history?.expires !== undefined) return expiredError(history.expires);
    return new AccessDeniedError(`join token not found: check that it was copied correctly, or ${hint}`);
  }
}
