/**
 * @module tool/tsh/login
 * `tsh login`: asks the proxy how to log in (ping), prompts for the password and, when the cluster
 * wants one, an OTP code; generates a fresh Ed25519 key (used for both the SSH and the X.509
 * certificate), trades the credentials for certificates at POST /v1/webapi/ssh/certs, and saves
 * key, certificates and CAs in the ~/.tsh layout (or, with --out, an identity file instead).
 *
 * Nothing is written until the proxy has answered with certificates for the new key, so a wrong
 * password leaves an existing login untouched.
 */
import { InvalidArgumentError, type Command } from 'commander';
import {
  ConnectionProblemError, NotImplementedError, BadParameterError,
} from '@teleport-ts/api/errors';
import { openSSHIdentityFiles, writeIdentityFile } from '@teleport-ts/api/identityFile';
import { generateKeyPair, privateKeyToPEM, publicKeyToPEM } from '@teleport-ts/api/keys';
import { formatAuthorizedKey, sshPublicKeyBlob } from '@teleport-ts/api/sshcert/publicKey';
import type { PingResponse } from '@teleport-ts/api/webapi';
import { formatDuration } from '@teleport-ts/api/duration';
import { WebClient } from '../../client/webClient.ts';
import { loadProfile, proxyHostOf, saveProfile, writeFileAtomic, type Profile } from '../../client/profile.ts';
import { describeCredentials, formatStatusList } from '../../client/status.ts';
import { resolveProxy, resolveUser, type GlobalFlags, type TshContext } from './context.ts';
import { decodeLoginResponse, sshProxyAddrFrom } from './loginResponse.ts';
import { askSecret } from './ask.ts';
import { collectProfileStatuses } from './status.ts';

/** Flags of `tsh login` (plus the global ones). */
export interface LoginFlags extends GlobalFlags {
  /** Requested certificate lifetime in minutes. */
  ttl?: number;
  out?: string;
  format?: string;
}

/** Longest --ttl accepted locally (one year); the cluster caps it further by role. */
const MAX_TTL_MINUTES = 365 * 24 * 60;

/** Parses --ttl: a whole number of minutes, as upstream. */
export function parseTTLMinutes(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_TTL_MINUTES) {
    throw new InvalidArgumentError(`expected a whole number of minutes between 1 and ${MAX_TTL_MINUTES}, for example --ttl=60`);
  }
  return n;
}

/** Registers `tsh login`. */
export function registerLoginCommand(program: Command, ctx: TshContext): void {
  program
    .command('login')
    .description('Log in to a cluster and retrieve the session certificate.')
    .option('--ttl <minutes>', 'certificate lifetime in minutes (default 720 = 12h; your roles\' max_session_ttl caps it)', parseTTLMinutes)
    .option('-o, --out <path>', 'write the credentials to this identity file instead of the ~/.tsh profile')
    .option('--format <format>', 'format of the --out identity: file or openssh', 'file')
    .addHelpText('after', [
      '',
      'Examples:',
      '  tsh login --proxy=teleport.example.com:3080 --user=alice',
      '  tsh login --proxy=localhost:3080 --insecure        # self-signed test cluster',
      '  printf "%s\\n%s\\n" "$PASSWORD" "$OTP" | tsh login --proxy=teleport.example.com:3080',
      '  tsh login --proxy=teleport.example.com:3080 --ttl=60 --out=alice.pem',
      '',
    ].join('\n'))
    .action(async (_opts: unknown, cmd: Command) => login(ctx, cmd.optsWithGlobals<LoginFlags>()));
}

/** Runs a login; see the module comment. */
export async function login(ctx: TshContext, flags: LoginFlags): Promise<void> {
  const format = flags.format ?? 'file';
  if (format !== 'file' && format !== 'openssh') {
    throw new BadParameterError(`unsupported --format "${format}": use "file" (identity file for tsh -i / tctl -i) or "openssh"`);
  }
  if (flags.format && flags.format !== 'file' && !flags.out) throw new BadParameterError('--format needs --out=<path>');
  const proxyAddr = await resolveProxy(ctx, flags.proxy);
  const insecure = flags.insecure === true;
  const client = new WebClient({ proxyAddr, insecure });
  if (insecure) ctx.io.stderr.write(`WARNING: You are using insecure connection to Teleport proxy https://${client.addr}\n`);
  const ping = await reach(client, client.ping());
  const secondFactor = checkLoginSupported(ping);
  const proxyHost = proxyHostOf(client.addr);
  const existing = await loadProfile(ctx.home, proxyHost).catch(() => undefined);
  const user = resolveUser(ctx, flags.user, existing);

  const password = await askSecret(ctx, `Enter password for Teleport user ${user}: `, 'password');
  let otp: string | undefined;
  if (secondFactor === 'otp' || secondFactor === 'on') {
    otp = await askSecret(ctx, 'Enter an OTP code from a device: ', 'OTP code');
  } else if (secondFactor === 'optional') {
    otp = await askSecret(ctx, 'Enter an OTP code from a device (press Enter if you have none): ', 'OTP code', { optional: true });
  }

  const { privateKey, publicKey } = generateKeyPair('ed25519');
  const publicKeyLine = formatAuthorizedKey(sshPublicKeyBlob(publicKey));
  const resp = await reach(client, client.createSSHCert({
    user,
    password,
    ...(otp && { otp_token: otp }),
    pub_key: Buffer.from(publicKeyLine).toString('base64'),
    tls_pub_key: Buffer.from(publicKeyToPEM(publicKey)).toString('base64'),
    ...(flags.ttl !== undefined && { ttl: flags.ttl * 60e9 }),
  }));
  const certs = decodeLoginResponse(resp, publicKey);
  const privateKeyPEM = privateKeyToPEM(privateKey);
  noteShortenedTTL(ctx, flags.ttl, certs);

  if (flags.out) {
    const identity = { privateKeyPEM, sshCert: certs.sshCert, tlsCert: certs.tlsCert, tlsCACerts: certs.tlsCAs, sshCAKeys: certs.hostCAKeys };
    const files = format === 'openssh'
      ? openSSHIdentityFiles(flags.out, identity)
      : [{ path: flags.out, data: writeIdentityFile(identity, { proxyHost }), mode: 0o600 }];
    for (const f of files) await writeFileAtomic(f.path, f.data, f.mode);
    ctx.io.stdout.write(`\nThe certificate has been written to ${files.map((f) => f.path).join(', ')}\n`);
    return;
  }

  const cluster = ping.cluster_name;
  await ctx.keyStore.saveKey({
    proxyHost, user: certs.username, cluster, privateKeyPEM, publicKeyLine,
    sshCert: certs.sshCert, tlsCert: certs.tlsCert, tlsCAs: certs.tlsCAs, hostCAKeys: certs.hostCAKeys,
  });
  const sshProxyAddr = sshProxyAddrFrom(ping, proxyHost);
  const profile: Profile = {
    webProxyAddr: client.addr,
    ...(sshProxyAddr && { sshProxyAddr }),
    user: certs.username,
    cluster,
    ...(insecure && { insecure }),
    ...(ping.proxy?.tls_routing_enabled && { tlsRoutingEnabled: true }),
  };
  const name = await saveProfile(ctx.home, profile);
  ctx.io.stdout.write(formatStatusList(await collectProfileStatuses(ctx, name), ctx.now()));
}

/** Checks that this tsh can do the cluster's kind of login; returns the second factor setting. */
function checkLoginSupported(ping: PingResponse): string {
  const type = ping.auth?.type ?? 'local';
  if (type !== 'local') {
    throw new NotImplementedError(`the cluster uses ${type} (SSO) login, which this tsh does not support yet: ` +
      'ask an administrator for a local user, or for an identity file ("tctl auth sign") to use with tsh -i');
  }
  const secondFactor = ping.auth?.second_factor ?? 'off';
  if (secondFactor === 'webauthn') {
    throw new NotImplementedError('the cluster requires a WebAuthn (hardware key) second factor, which this tsh does not support yet: ' +
      'ask an administrator to allow OTP (cluster_auth_preference second_factor: otp, on or optional)');
  }
  return secondFactor;
}

/** Adds "is the proxy running?" advice to connection failures (refused, unknown host, timeout). */
async function reach<T>(client: WebClient, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    const code = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code ?? '';
    if (err instanceof ConnectionProblemError && /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|ECONNRESET)$/.test(code)) {
      throw new ConnectionProblemError(`cannot reach proxy ${client.addr} (${code}): is the address right and the proxy running?`, { cause: err });
    }
    throw err;
  }
}

/** Tells the user when the cluster issued a shorter certificate than --ttl asked for. */
function noteShortenedTTL(ctx: TshContext, ttlMinutes: number | undefined, certs: { sshCert: string }): void {
  if (ttlMinutes === undefined) return;
  const now = ctx.now();
  const granted = describeCredentials(certs, now).validUntil.getTime() - now.getTime();
  if (granted < ttlMinutes * 60_000 - 2 * 60_000) {
    ctx.io.stderr.write(`NOTE: the certificate is valid for ${formatDuration(Math.round(granted / 60_000) * 60_000)}, ` +
      `less than the ${ttlMinutes}m asked for: your roles' max_session_ttl caps it.\n`);
  }
}
