/**
 * @module auth/testAuthServer
 * Test fixture: an AuthServer over a MemoryBackend, a MemoryAuditLog and a FakeClock, initialised with
 * initAuthState (balanced algorithms: Ed25519 SSH, ECDSA P-256 TLS). No network, no files; building one
 * takes a few milliseconds. Also helpers to add users with passwords, make key pairs for certificate
 * requests, build the authorization contexts AuthWithRoles is called with, and serve the API over
 * mutual TLS for tests that go through the network.
 */
import { FakeClock } from '@teleport-ts/api/clock';
import { generateKeyPair, publicKeyToPEM, type KeyPair } from '@teleport-ts/api/keys';
import { formatAuthorizedKey, sshPublicKeyBlob } from '@teleport-ts/api/sshcert/publicKey';
import type { SecondFactor } from '@teleport-ts/api/types/clusterConfig';
import type { Traits, User } from '@teleport-ts/api/types/user';
import { newUser } from '@teleport-ts/api/types/validate/user';
import { MemoryBackend } from '../backend/memory.ts';
import { MemoryAuditLog } from '../events/memoryLog.ts';
import { LocalServices } from '../services/local/index.ts';
import { silentLogger } from '../utils/logger.ts';
import { AuthServer } from './authServer.ts';
import { Authorizer, type BuiltinContext, type UserContext } from './authorizer.ts';
import { AuthWithRoles } from './authWithRoles.ts';
import { initAuthState } from './init.ts';
import { hashPassword } from './password.ts';
import { MemoryRecordingStore } from '../events/memoryRecordingStore.ts';
import { issueLocalIdentity } from '../service/localIdentity.ts';
import { startAuthTLSServer, type AuthTLSServer } from './tlsServer.ts';

/** The cluster name test servers use unless told otherwise. */
export const TEST_CLUSTER = 'example.com';
/** The proxy address invite URLs point at. */
export const TEST_PROXY_ADDR = 'proxy.example.com:3080';

/** What a test gets to poke at. */
export interface TestAuth {
  auth: AuthServer;
  clock: FakeClock;
  audit: MemoryAuditLog;
  services: LocalServices;
  backend: MemoryBackend;
}

/** Options for newTestAuthServer. */
export interface TestAuthOptions {
  clusterName?: string;
  /** Defaults to a FakeClock at 2026-01-01T00:00:00Z; tests that use real TLS pass one set to now. */
  clock?: FakeClock;
  secondFactor?: SecondFactor;
  proxyPublicAddr?: string;
}

/** Builds an initialised auth server with in-memory state. */
export async function newTestAuthServer(opts: TestAuthOptions = {}): Promise<TestAuth> {
  const clock = opts.clock ?? new FakeClock();
  const clusterName = opts.clusterName ?? TEST_CLUSTER;
  // No purge timer: expiry is still enforced on every read, and tests leave no interval behind.
  const backend = new MemoryBackend({ clock, pollIntervalMs: 0 });
  const services = new LocalServices(backend);
  await initAuthState({
    services,
    clusterName,
    clock,
    logger: silentLogger,
    algorithms: { ssh: 'ed25519', tls: 'ecdsa-p256' },
    ...(opts.secondFactor && { secondFactor: opts.secondFactor }),
  });
  const audit = new MemoryAuditLog({ clusterName, clock });
  const auth = new AuthServer({
    services, audit, clock, logger: silentLogger, clusterName, proxyPublicAddr: () => opts.proxyPublicAddr ?? TEST_PROXY_ADDR,
    recordings: new MemoryRecordingStore(),
  });
  return { auth, clock, audit, services, backend };
}

/** Creates a user with roles and traits, and a password when given. */
export async function addUser(
  t: Pick<TestAuth, 'services'>,
  name: string,
  roles: string[],
  opts: { traits?: Traits; password?: string } = {},
): Promise<User> {
  const user = await t.services.users.createUser(newUser(name, roles, opts.traits));
  if (opts.password !== undefined) await t.services.users.setPasswordHash(name, await hashPassword(opts.password));
  return user;
}

/** A fresh key pair with its public half in both request encodings. */
export interface TestKeys {
  pair: KeyPair;
  /** authorized_keys line. */
  sshPublicKey: string;
  /** SPKI PEM. */
  tlsPublicKey: string;
}

/** Generates an Ed25519 key for SSH + TLS certificate requests. */
export function newTestKeys(): TestKeys {
  const pair = generateKeyPair('ed25519');
  return { pair, sshPublicKey: formatAuthorizedKey(sshPublicKeyBlob(pair.publicKey)), tlsPublicKey: publicKeyToPEM(pair.publicKey) };
}

/** The context of a Teleport service with a system role, as the authorizer builds it from a host certificate. */
export function builtinContext(role: string, hostId = 'host-uuid'): BuiltinContext {
  const name = `${hostId}.${TEST_CLUSTER}`;
  return { kind: 'builtin', role, name, identity: { username: name, groups: [role], systemRoles: [role], expires: new Date(8.64e15) } };
}

/** The context of a user whose certificate carries their current roles. */
export async function userContext(t: Pick<TestAuth, 'auth'>, name: string): Promise<UserContext> {
  const user = await t.auth.services.users.getUser(name);
  const authorizer = new Authorizer(t.auth.services, t.auth.keyring, t.auth.clock);
  return authorizer.forUser({ username: name, groups: user.spec.roles, traits: user.spec.traits ?? {}, expires: new Date(8.64e15) });
}

/** AuthWithRoles for a system role. */
export function asBuiltin(t: Pick<TestAuth, 'auth'>, role: string): AuthWithRoles {
  return new AuthWithRoles(t.auth, builtinContext(role));
}

/** AuthWithRoles for an existing user. */
export async function asUser(t: Pick<TestAuth, 'auth'>, name: string): Promise<AuthWithRoles> {
  return new AuthWithRoles(t.auth, await userContext(t, name));
}

/**
 * Serves `auth`'s gRPC API over mutual TLS on a free loopback port, with an Auth host identity
 * issued for `hostId`. Close the returned server when done.
 */
export async function startTestAuthTLS(auth: AuthServer, hostId = 'auth-host'): Promise<AuthTLSServer> {
  const own = await issueLocalIdentity(auth, { hostId, nodeName: 'auth', role: 'Auth', algorithm: 'ecdsa-p256' });
  return startAuthTLSServer({ auth, listenAddr: { host: '127.0.0.1', port: 0 }, certPEM: own.certPEM, keyPEM: own.keyPEM, logger: silentLogger });
}
