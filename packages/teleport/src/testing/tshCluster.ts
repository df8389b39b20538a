/**
 * @module testing/tshCluster
 * Test-only: a real in-process cluster (auth + proxy on port 0, SQLite in a temp dir) for the tsh
 * tests, local users with a password and a TOTP device, and a way to run tsh with captured output,
 * piped stdin and its own TELEPORT_HOME. It lives outside tool/tsh because it reaches into server
 * code, standing in for an administrator setting the cluster up.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { startTeleport, type TeleportProcess } from '../service/teleportProcess.ts';
import { defaultServiceConfig, finalizeConfig, type SecondFactor } from '../config/serviceConfig.ts';
import { hashPassword } from '../auth/password.ts';
import { generateTOTP, newTOTPSecret, TOTP_PERIOD_MS } from '../auth/totp.ts';
import type { AuthServer } from '../auth/authServer.ts';
import { writeIdentityFile } from '@teleport-ts/api/identityFile';
import { generateKeyPair, privateKeyToPEM, publicKeyToPEM } from '@teleport-ts/api/keys';
import { formatAuthorizedKey, sshPublicKeyBlob } from '@teleport-ts/api/sshcert/publicKey';
import type { CLIIO } from '../tool/common/cli.ts';
import { runTsh, type TshOptions } from '../tool/tsh/main.ts';

/** A local user of the test cluster. */
export interface TestUser {
  name: string;
  password: string;
  /** TOTP secret of the user's device. */
  secret: string;
  /** A code not used yet (the cluster refuses reuse); two are available per 30s step. */
  otp(): string;
}

/** A running test cluster. */
export interface TestCluster {
  proc: TeleportProcess;
  auth: AuthServer;
  /** "127.0.0.1:<port>" of the proxy's web listener. */
  webAddr: string;
  clusterName: string;
  addUser(name: string, opts?: { roles?: string[]; logins?: string[] }): Promise<TestUser>;
  /** An identity file's text for an existing user, issued directly by auth (as `tctl auth sign` would). */
  identityFile(user: string, ttlMs: number): Promise<string>;
  close(): Promise<void>;
}

/** Starts auth + proxy in a temporary data dir. */
export async function startTestCluster(opts: { secondFactor?: SecondFactor } = {}): Promise<TestCluster> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tsh-cluster-'));
  const cfg = defaultServiceConfig();
  cfg.dataDir = dataDir;
  cfg.nodeName = 'localhost';
  cfg.storage = { type: 'sqlite', path: join(dataDir, 'backend', 'sqlite.db') };
  cfg.auth.listenAddr = '127.0.0.1:0';
  cfg.auth.clusterName = 'test.example.com';
  cfg.auth.fileSettings.secondFactor = opts.secondFactor ?? 'otp';
  cfg.proxy.webListenAddr = '127.0.0.1:0';
  cfg.proxy.sshListenAddr = '127.0.0.1:0';
  cfg.proxy.tunnelListenAddr = '127.0.0.1:0';
  cfg.ssh.enabled = false;
  const proc = await startTeleport(finalizeConfig(cfg));
  const auth = proc.auth?.auth;
  if (!auth || !proc.webAddr) throw new Error('test cluster started without auth or proxy');
  return {
    proc, auth, webAddr: proc.webAddr, clusterName: 'test.example.com',
    async addUser(name, o = {}) {
      await auth.services.users.createUser({
        kind: 'user', version: 'v2', metadata: { name },
        spec: { roles: o.roles ?? ['access'], traits: { logins: o.logins ?? [name, 'root'] } },
      });
      const password = `correct horse ${randomUUID()}`;
      await auth.services.users.setPasswordHash(name, await hashPassword(password));
      const secret = newTOTPSecret();
      await auth.services.users.addTOTPDevice(name, { id: randomUUID(), name: 'phone', secret, addedAt: new Date() });
      const used = new Set<string>();
      return {
        name, password, secret,
        otp() {
          // The current and the next step's codes stay valid across a step boundary during the request.
          for (const offset of [0, 1]) {
            const code = generateTOTP(secret, Date.now() + offset * TOTP_PERIOD_MS);
            if (!used.has(code)) {
              used.add(code);
              return code;
            }
          }
          throw new Error(`test user ${name} used every OTP code valid now: use another user for more logins`);
        },
      };
    },
    async identityFile(name, ttlMs) {
      const { privateKey, publicKey } = generateKeyPair('ed25519');
      const certs = await auth.generateUserCerts(await auth.services.users.getUser(name), {
        sshPublicKey: formatAuthorizedKey(sshPublicKeyBlob(publicKey)), tlsPublicKey: publicKeyToPEM(publicKey), ttlMs,
      });
      return writeIdentityFile({
        privateKeyPEM: privateKeyToPEM(privateKey),
        sshCert: certs.sshCert,
        tlsCert: certs.tlsCert,
        tlsCACerts: certs.tlsCACerts,
        sshCAKeys: certs.hostCAs.flatMap((ca) => (ca.spec.active_keys.ssh ?? [])
          .map((k) => ({ clusterName: ca.spec.cluster_name, authorizedKey: k.public_key }))),
      });
    },
    async close() {
      await proc.close({ graceful: false });
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** What one tsh run printed. */
export interface TshResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs tsh in-process with `stdin` piped in and the given environment (TELEPORT_HOME at least). */
export async function tsh(argv: string[], env: Record<string, string>, stdin = '', options: TshOptions = {}): Promise<TshResult> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { stdout: '', stderr: '' };
  out.on('data', (c: Buffer) => (chunks.stdout += c.toString()));
  err.on('data', (c: Buffer) => (chunks.stderr += c.toString()));
  const io: CLIIO = { stdout: out, stderr: err, stdin: Readable.from(stdin ? [stdin] : []), env };
  const code = await runTsh(argv, io, options);
  return { code, ...chunks };
}

/** A fresh empty TELEPORT_HOME; remove it with `rm` when done. */
export function tempHome(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'tsh-home-'));
}
