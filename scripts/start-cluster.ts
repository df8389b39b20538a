/**
 * @module scripts/start-cluster
 * `npm start`: a single-node cluster for trying things out. On first run it writes
 * .teleport-dev/teleport.yaml (auth + proxy on the embedded SQLite backend, data in
 * .teleport-dev/data), starts teleport, and creates the first admin user with an invite link; on later
 * runs it reuses everything and prints how to log in. Stop it with Ctrl-C.
 *
 * The web UI (packages/web/dist, served at https://localhost:3080/web) and the CLI bundles
 * (packages/teleport/dist, see scripts/build-cli.js) are built first when missing or stale.
 *
 * Environment: TELEPORT_DEV_DIR (default ./.teleport-dev), TELEPORT_DEV_HOST (listen host, default
 * 127.0.0.1), TELEPORT_DEV_ADMIN (default teleport-admin).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isNotFound } from '@teleport-ts/api/errors';
import { runTeleport } from '../packages/teleport/src/tool/teleport/main.ts';
import { runTctl } from '../packages/teleport/src/tool/tctl/main.ts';
import type { TeleportProcess } from '../packages/teleport/src/service/teleportProcess.ts';
import { ensureCliBuild } from './build-cli.js';
import { ensureWebBuild } from './web-build.js';

const devDir = path.resolve(process.env.TELEPORT_DEV_DIR ?? '.teleport-dev');
const host = process.env.TELEPORT_DEV_HOST ?? '127.0.0.1';
const admin = process.env.TELEPORT_DEV_ADMIN ?? 'teleport-admin';
const configPath = path.join(devDir, 'teleport.yaml');
const osUser = os.userInfo().username;

try {
  await ensureWebBuild();
} catch (err) {
  // The cluster is still useful without the UI (tsh, tctl); the proxy answers /web with how to build it.
  console.error(`WARNING: ${(err as Error).message}; starting without the web UI.`);
}

// tsh and tctl start in ~0.15 s from their bundles instead of ~1 s through tsx (docs/benchmarks.md).
await ensureCliBuild().catch((err: unknown) =>
  console.error(`WARNING: ${(err as Error).message}; tsh and tctl will load their TypeScript sources (slower).`));

if (!existsSync(configPath)) {
  mkdirSync(devDir, { recursive: true, mode: 0o700 });
  writeFileSync(
    configPath,
    `# Written by "npm start" for a local single-node cluster. Edit freely; see docs/config.md.
version: v3
teleport:
  nodename: localhost
  data_dir: ${path.join(devDir, 'data')}
  log:
    output: ${path.join(devDir, 'teleport.log')}
    severity: INFO
  diag_addr: ${host}:3000
auth_service:
  enabled: yes
  listen_addr: ${host}:3025
  cluster_name: localhost
  authentication:
    type: local
    second_factor: otp
proxy_service:
  enabled: yes
  web_listen_addr: ${host}:3080
  listen_addr: ${host}:3023
  tunnel_listen_addr: ${host}:3024
  public_addr: localhost:3080
ssh_service:
  enabled: yes
  listen_addr: ${host}:3022
  labels:
    env: dev
  commands:
  - name: arch
    command: [uname, -m]
    period: 1h
`,
    { mode: 0o600 },
  );
  console.log(`Wrote ${configPath}`);
}

/** Creates the first admin (or a fresh invite if they never finished it) and prints how to log in. */
async function bootstrap(proc: TeleportProcess): Promise<void> {
  const auth = proc.auth?.auth;
  if (!auth) return;
  const tctl = (...args: string[]) => runTctl(['-c', configPath, ...args]);
  let hasPassword = false;
  try {
    await auth.services.users.getUser(admin);
    hasPassword = await auth.services.users.getPasswordHash(admin).then(() => true, (e: unknown) => (isNotFound(e) ? false : Promise.reject(e)));
    if (!hasPassword) await tctl('users', 'reset', admin, '--ttl', '1h');
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await tctl('users', 'add', admin, '--roles=editor,access,auditor', `--logins=${osUser},root`);
  }
  const proxy = proc.proxy?.publicAddr ?? 'localhost:3080';
  console.log(
    `\n${hasPassword ? '' : 'Open the link above, set a password and scan the TOTP secret with an authenticator app. Then:\n'}` +
      `Web UI:        https://${proxy}/web\n` +
      `Log in:        npx tsh login --proxy=${proxy} --user=${admin} --insecure\n` +
      `Check:         npx tsh status\n` +
      `Administer:    npx tctl -c ${configPath} users ls\n` +
      `Logs:          ${path.join(devDir, 'teleport.log')}\n` +
      `(--insecure because the proxy uses a self-signed certificate.) Stop with Ctrl-C.\n`,
  );
}

process.exitCode = await runTeleport(['start', '-c', configPath], undefined, { onStarted: bootstrap });
