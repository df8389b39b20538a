/**
 * @module tool/tctl/connect
 * How tctl finds the cluster: an identity file (`-i`, from `tctl auth sign`) with `--auth-server`,
 * or, on the auth host, the local admin identity in the data dir named by teleport.yaml (`-c`,
 * default /etc/teleport.yaml) and the auth service's listen address from the same file.
 */
import { readFile } from 'node:fs/promises';
import { AuthClient } from '@teleport-ts/api/client/authClient';
import { BadParameterError, isNotFound } from '@teleport-ts/api/errors';
import { parseIdentityFile, loadPrivateKey } from '@teleport-ts/api/identityFile';
import { privateKeyToPEM } from '@teleport-ts/api/keys';
import { loadConfig, dialAddrFor } from '../../config/serviceConfig.ts';
import { DEFAULT_CONFIG_PATH } from '../../config/defaults.ts';
import { loadIdentity } from '../../service/identityStore.ts';

/** Global tctl options. */
export interface ConnectOptions {
  config?: string;
  identity?: string;
  authServer?: string;
  /** For tests: default config path when -c is not given. */
  defaultConfigPath?: string;
}

/** What commands get: an API client plus facts about the local setup. */
export interface TctlContext {
  client: AuthClient;
  /** Data dir when running on the auth host. */
  dataDir?: string;
}

/** Connects to the auth service. */
export async function connect(opts: ConnectOptions): Promise<TctlContext> {
  if (opts.identity) {
    let text: string;
    try {
      text = await readFile(opts.identity, 'utf8');
    } catch (err) {
      throw new BadParameterError(`cannot read identity file ${opts.identity}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}; create one with 'tctl auth sign --format=file'`);
    }
    const id = parseIdentityFile(text);
    if (!id.tlsCert) throw new BadParameterError(`identity file ${opts.identity} has no TLS certificate: re-create it with 'tctl auth sign --format=file'`);
    if (!opts.authServer) throw new BadParameterError('with --identity, also pass --auth-server=host:3025');
    return {
      client: new AuthClient({
        addr: opts.authServer,
        certPEM: id.tlsCert,
        keyPEM: privateKeyToPEM(loadPrivateKey(id.privateKeyPEM)),
        caCerts: id.tlsCACerts,
      }),
    };
  }
  const cfg = await loadConfig({
    ...(opts.config !== undefined && { configPath: opts.config }),
    defaultConfigPath: opts.defaultConfigPath ?? DEFAULT_CONFIG_PATH,
  });
  let admin;
  try {
    admin = await loadIdentity(cfg.dataDir, 'admin');
  } catch (err) {
    if (!isNotFound(err)) throw err;
    throw new BadParameterError(
      `no admin identity in ${cfg.dataDir}: run tctl on the auth server host with the same teleport.yaml (-c), ` +
        'after teleport has started at least once, or use an identity file with -i and --auth-server',
    );
  }
  const addr = opts.authServer ?? (cfg.auth.enabled ? dialAddrFor(cfg.auth.listenAddr) : cfg.authServers[0]);
  if (!addr) throw new BadParameterError('cannot tell where the auth service listens: pass --auth-server=host:3025');
  return {
    client: new AuthClient({ addr, certPEM: admin.certPEM, keyPEM: admin.keyPEM, caCerts: admin.tlsCACerts }),
    dataDir: cfg.dataDir,
  };
}
