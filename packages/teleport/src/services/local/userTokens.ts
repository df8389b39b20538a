/**
 * @module services/local/userTokens
 * Invite and password-reset tokens (/usertoken/<id>/params) and their secrets (/usertoken/<id>/secrets,
 * the TOTP key offered during sign-up). Both records expire with the token. The token id is a secret, so
 * messages never include it. `consumeUserToken` is the one-shot step: it deletes the token atomically so
 * exactly one of two concurrent completions succeeds.
 */
import { BadParameterError, NotFoundError, isNotFound } from '@teleport-ts/api/errors';
import type { UserToken } from '@teleport-ts/api/types/userToken';
import { key, rangeEnd } from '../../backend/backend.ts';
import type { Backend } from '../../backend/backend.ts';
import {
  checkName,
  createJSON,
  directChild,
  expiresMs,
  fromItem,
  getRecord,
  listJSON,
  recordItem,
} from './resourceStore.ts';

const PREFIX = 'usertoken';
const PARAMS = 'params';
const SECRETS = 'secrets';

/** Secrets attached to a user token. */
export interface UserTokenSecrets {
  /** Base32 TOTP key the user enrols during sign-up or reset. */
  otpKey: string;
}

function paramsKey(id: string): string {
  checkName('user token', id);
  return key(PREFIX, id, PARAMS);
}

function secretsKey(id: string): string {
  checkName('user token', id);
  return key(PREFIX, id, SECRETS);
}

/** The message for a token that is missing, expired or already used. */
export function userTokenGoneMessage(subKind?: string): string {
  const what = subKind === 'reset' ? 'password reset token' : 'invite token';
  return `${what} has already been used or has expired: ask an administrator for a new one`;
}

/** Stores invite and reset tokens. */
export class UserTokensService {
  constructor(private readonly backend: Backend) {}

  /** Stores a new token; it expires at `metadata.expires`. */
  async createUserToken(token: UserToken): Promise<UserToken> {
    if (token.kind !== 'user_token') {
      throw new BadParameterError(`expected a resource of kind user_token, got '${String(token.kind)}'`);
    }
    // The id is secret: the "already exists" message must not echo it.
    return createJSON(this.backend, paramsKey(token.metadata.name), token, 'a user token with this id');
  }

  /** Reads a token; NotFoundError if it is unknown, expired or used. */
  async getUserToken(id: string): Promise<UserToken> {
    try {
      return fromItem<UserToken>(await this.backend.get(paramsKey(id)));
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(userTokenGoneMessage());
      throw err;
    }
  }

  /** Lists every live token. */
  async listUserTokens(): Promise<UserToken[]> {
    const prefix = key(PREFIX) + '/';
    return listJSON<UserToken>(this.backend, prefix, directChild(prefix, PARAMS));
  }

  /** Deletes a token and its secrets; NotFoundError if it is gone. */
  async deleteUserToken(id: string): Promise<void> {
    await this.getUserToken(id);
    const prefix = key(PREFIX, id) + '/';
    await this.backend.deleteRange(prefix, rangeEnd(prefix));
  }

  /** Deletes every token issued for `user` (when the user is deleted or a new token replaces old ones). */
  async deleteUserTokensFor(user: string): Promise<void> {
    for (const token of await this.listUserTokens()) {
      if (token.spec.user !== user) continue;
      const prefix = key(PREFIX, token.metadata.name) + '/';
      await this.backend.deleteRange(prefix, rangeEnd(prefix));
    }
  }

  /** Stores the token's secrets; they expire with the token. NotFoundError if the token is gone. */
  async setUserTokenSecrets(id: string, secrets: UserTokenSecrets): Promise<void> {
    const token = await this.getUserToken(id);
    await this.backend.put(recordItem(secretsKey(id), { otpKey: secrets.otpKey }, expiresMs(token)));
  }

  /** Reads the token's secrets; NotFoundError if the token is gone or has none. */
  async getUserTokenSecrets(id: string): Promise<UserTokenSecrets> {
    const record = await getRecord<UserTokenSecrets>(this.backend, secretsKey(id));
    if (record === undefined) throw new NotFoundError(userTokenGoneMessage());
    return { otpKey: record.value.otpKey };
  }

  /**
   * Uses the token up: deletes it and returns what it was. Deletion is the atomic step, so when two
   * completions race exactly one gets the token and the other gets NotFoundError
   * "invite token has already been used or has expired: ask an administrator for a new one".
   */
  async consumeUserToken(id: string): Promise<UserToken> {
    const token = await this.getUserToken(id);
    try {
      await this.backend.delete(paramsKey(id));
    } catch (err) {
      if (isNotFound(err)) throw new NotFoundError(userTokenGoneMessage(token.sub_kind));
      throw err;
    }
    try {
      await this.backend.delete(secretsKey(id));
    } catch (err) {
      // Tokens without secrets are fine; anything else leaves a record that will still expire.
      if (!isNotFound(err)) throw err;
    }
    return token;
  }
}
