/**
 * @module services/local/users
 * Local users and everything secret about them. Layout under /users/<name>/:
 *   params             the user resource (no secrets)
 *   pwd                the password hash (PHC string), never part of the user resource
 *   mfa/<id>           MFA devices with their secrets (server-internal)
 *   attempts/<t>-<id>  recent login attempts, each expiring on its own (for lockout)
 *   used_totp/<code>   one-time codes already accepted, kept until they could no longer be replayed
 * Deleting a user removes the whole subtree in one range delete, so a later user with the same name can
 * never inherit a password or device.
 */
import { randomUUID } from 'node:crypto';
import { AlreadyExistsError, BadParameterError, NotFoundError, isAlreadyExists, isNotFound } from '@teleport-ts/api/errors';
import type { User } from '@teleport-ts/api/types/user';
import { key, rangeEnd } from '../../backend/backend.ts';
import type { Backend } from '../../backend/backend.ts';
import {
  checkName,
  createJSON,
  directChild,
  getJSON,
  getRecord,
  listJSON,
  parseValue,
  putJSON,
  recordItem,
  updateJSON,
  describe,
} from './resourceStore.ts';
import { UserTokensService } from './userTokens.ts';

const USERS = 'users';
const PARAMS = 'params';

/** A TOTP authenticator registered to a user. */
export interface TOTPDevice {
  type: 'totp';
  /** Unique id (a UUID). */
  id: string;
  /** Name the user chose, unique per user. */
  name: string;
  /** Base32 shared secret. */
  secret: string;
  addedAt: Date;
}

/** Any MFA device; WebAuthn devices join this union later. */
export type MFADevice = TOTPDevice;

/** One login attempt, kept for lockout decisions. */
export interface LoginAttempt {
  time: Date;
  success: boolean;
}

interface StoredDevice {
  type: 'totp';
  id: string;
  name: string;
  secret: string;
  addedAt: string;
}

function userPrefix(name: string): string {
  checkName('user', name);
  return key(USERS, name) + '/';
}

function userKey(name: string, ...rest: string[]): string {
  checkName('user', name);
  return key(USERS, name, ...rest);
}

function checkUser(user: User): void {
  if (user.kind !== 'user') throw new BadParameterError(`expected a resource of kind user, got '${String(user.kind)}'`);
}

/** Stores users, their password hashes, MFA devices and login attempts. */
export class UsersService {
  private readonly userTokens: UserTokensService;

  constructor(private readonly backend: Backend) {
    this.userTokens = new UserTokensService(backend);
  }

  /** Reads a user; NotFoundError "user 'bob' not found". */
  async getUser(name: string): Promise<User> {
    return getJSON<User>(this.backend, userKey(name, PARAMS), describe('user', name));
  }

  /** Lists every user, sorted by name. */
  async listUsers(): Promise<User[]> {
    const prefix = key(USERS) + '/';
    return listJSON<User>(this.backend, prefix, directChild(prefix, PARAMS));
  }

  /** Creates a user; AlreadyExistsError "user 'alice' already exists". */
  async createUser(user: User): Promise<User> {
    checkUser(user);
    const name = user.metadata.name;
    return createJSON(this.backend, userKey(name, PARAMS), user, describe('user', name));
  }

  /** Creates or overwrites a user (secrets are untouched). */
  async upsertUser(user: User): Promise<User> {
    checkUser(user);
    return putJSON(this.backend, userKey(user.metadata.name, PARAMS), user);
  }

  /** Overwrites an existing user; with `metadata.revision` set, a stale revision is a CompareFailedError. */
  async updateUser(user: User): Promise<User> {
    checkUser(user);
    const name = user.metadata.name;
    return updateJSON(this.backend, userKey(name, PARAMS), user, describe('user', name));
  }

  /** Deletes a user with its password hash, MFA devices, login attempts and user tokens. */
  async deleteUser(name: string): Promise<void> {
    await this.getUser(name);
    await this.userTokens.deleteUserTokensFor(name);
    const prefix = userPrefix(name);
    await this.backend.deleteRange(prefix, rangeEnd(prefix));
  }

  /** Stores the user's password hash; NotFoundError if the user does not exist. */
  async setPasswordHash(user: string, hash: string): Promise<void> {
    await this.getUser(user);
    await this.backend.put(recordItem(userKey(user, 'pwd'), { hash }));
  }

  /** Reads the user's password hash; NotFoundError "no password is set for user 'bob'". */
  async getPasswordHash(user: string): Promise<string> {
    const record = await getRecord<{ hash: string }>(this.backend, userKey(user, 'pwd'));
    if (record === undefined) throw new NotFoundError(`no password is set for ${describe('user', user)}`);
    return record.value.hash;
  }

  /** Removes the user's password hash (a password reset); no error if none was set. */
  async deletePasswordHash(user: string): Promise<void> {
    try {
      await this.backend.delete(userKey(user, 'pwd'));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Registers a TOTP device; NotFoundError if the user is missing, AlreadyExistsError on a duplicate id or name. */
  async addTOTPDevice(user: string, device: Omit<TOTPDevice, 'type'>): Promise<TOTPDevice> {
    checkName('MFA device', device.id);
    await this.getUser(user);
    if ((await this.listMFADevices(user)).some((d) => d.name === device.name)) {
      throw new AlreadyExistsError(`MFA device named '${device.name}' already exists for ${describe('user', user)}: pick another name`);
    }
    const stored: StoredDevice = {
      type: 'totp',
      id: device.id,
      name: device.name,
      secret: device.secret,
      addedAt: device.addedAt.toISOString(),
    };
    try {
      await this.backend.create(recordItem(userKey(user, 'mfa', device.id), stored));
    } catch (err) {
      if (isAlreadyExists(err)) throw new AlreadyExistsError(`MFA device with id '${device.id}' already exists`);
      throw err;
    }
    return { ...device, type: 'totp' };
  }

  /** Lists the user's MFA devices including their secrets; server-internal, never return these to clients. */
  async listMFADevices(user: string): Promise<MFADevice[]> {
    const prefix = userKey(user, 'mfa') + '/';
    const { items } = await this.backend.getRange(prefix, rangeEnd(prefix));
    return items.map((item) => {
      const d = parseValue<StoredDevice>(item);
      return { type: d.type, id: d.id, name: d.name, secret: d.secret, addedAt: new Date(d.addedAt) };
    });
  }

  /** Deletes an MFA device by id (or by name); NotFoundError "MFA device 'x' not found for user 'bob'". */
  async deleteMFADevice(user: string, idOrName: string): Promise<void> {
    const device = (await this.listMFADevices(user)).find((d) => d.id === idOrName || d.name === idOrName);
    if (device === undefined) {
      throw new NotFoundError(`MFA device '${idOrName}' not found for ${describe('user', user)}`);
    }
    await this.backend.delete(userKey(user, 'mfa', device.id));
  }

  /** Records a login attempt that is forgotten after `ttlMs`. */
  async addLoginAttempt(user: string, attempt: LoginAttempt, ttlMs: number): Promise<void> {
    // Zero-padded time first so key order is time order.
    const id = `${String(attempt.time.getTime()).padStart(15, '0')}-${randomUUID()}`;
    const value = { time: attempt.time.toISOString(), success: attempt.success };
    await this.backend.put(recordItem(userKey(user, 'attempts', id), value, this.backend.clock.nowMs() + ttlMs));
  }

  /** Lists the user's unexpired login attempts, oldest first. */
  async listLoginAttempts(user: string): Promise<LoginAttempt[]> {
    const prefix = userKey(user, 'attempts') + '/';
    const { items } = await this.backend.getRange(prefix, rangeEnd(prefix));
    return items.map((item) => {
      const a = parseValue<{ time: string; success: boolean }>(item);
      return { time: new Date(a.time), success: a.success };
    });
  }

  /** Forgets the user's login attempts (after a successful login or an admin unlock). */
  async deleteLoginAttempts(user: string): Promise<void> {
    const prefix = userKey(user, 'attempts') + '/';
    await this.backend.deleteRange(prefix, rangeEnd(prefix));
  }

  /**
   * Remembers that `code` was accepted for `user` until `expiresMs` (epoch ms, the end of the code's
   * validity window). The write is a create, so a second use of the same code - even by a concurrent
   * request - throws AlreadyExistsError.
   */
  async markTOTPCodeUsed(user: string, code: string, expiresMs: number): Promise<void> {
    if (!/^\d{6,8}$/.test(code)) throw new BadParameterError('one-time code must be 6 to 8 digits');
    try {
      await this.backend.create(recordItem(userKey(user, 'used_totp', code), { used: true }, expiresMs));
    } catch (err) {
      if (isAlreadyExists(err)) {
        throw new AlreadyExistsError('this one-time code has already been used: wait for the next code and try again');
      }
      throw err;
    }
  }
}
