/**
 * @module integration/helpers/users
 * Local users created the way a real administrator and user do it: `tctl users add` prints an invite
 * URL, the user reads the token (and the TOTP secret to enroll) from the proxy, then sets a password
 * with a TOTP code. Also plays the user's authenticator app, never handing out a code twice (the
 * cluster refuses reused codes).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { WebAPIPaths, type PasswordTokenResponse } from '../../packages/api/src/webapi.ts';
import { generateTOTP, TOTP_PERIOD_MS } from '../../packages/teleport/src/auth/totp.ts';
import { describeResult, type CLIResult } from './cli.ts';
import type { TestCluster } from './cluster.ts';
import { errorMessageOf, webRequest, type WebResponse } from './web.ts';

/** A user whose invite was completed. */
export interface TestUser {
  name: string;
  password: string;
  /** The enrolled TOTP secret (absent when the cluster has no second factor). */
  otpSecret?: string;
  /** The next unused TOTP code (waits for the next 30 s step when both usable codes are spent). */
  otp(): Promise<string>;
}

/** A password long enough for the cluster's policy. */
export function strongPassword(name: string): string {
  return `correct-horse-battery-${name}-staple`;
}

/** Extracts the invite/reset token from tctl's output (the last path element of the URL). */
export function tokenFromURL(tctlOutput: string): string {
  const m = /https:\/\/\S+\/web\/(?:invite|reset)\/([0-9a-f]+)/.exec(tctlOutput);
  if (!m?.[1]) throw new Error(`no invite URL in tctl output:\n${tctlOutput}`);
  return m[1];
}

/** An authenticator app for one secret that hands out each code once. */
export function otpSource(secret: string, used = new Set<string>()): () => Promise<string> {
  return async () => {
    for (;;) {
      const now = Date.now();
      // The server accepts the adjacent steps too; the next step's code stays valid across a boundary.
      for (const offset of [0, 1]) {
        const code = generateTOTP(secret, now + offset * TOTP_PERIOD_MS);
        if (!used.has(code)) {
          used.add(code);
          return code;
        }
      }
      await sleep(TOTP_PERIOD_MS - (now % TOTP_PERIOD_MS) + 50);
    }
  };
}

/** Reads an invite token from the proxy; throws with the response when it fails. */
export async function readToken(cluster: TestCluster, token: string): Promise<PasswordTokenResponse> {
  const res = await webRequest<PasswordTokenResponse>(cluster.webAddr, 'GET', `${WebAPIPaths.passwordToken}/${token}`);
  if (res.status !== 200) throw new Error(`GET token: HTTP ${res.status}: ${res.text}`);
  return res.body;
}

/** PUTs a password (base64) and optional TOTP code for a token; returns the raw response. */
export function completeToken(cluster: TestCluster, token: string, password: string, otpCode?: string): Promise<WebResponse<{ user: string }>> {
  return webRequest<{ user: string }>(cluster.webAddr, 'PUT', WebAPIPaths.passwordToken, {
    token,
    password: Buffer.from(password, 'utf8').toString('base64'),
    ...(otpCode && { second_factor_token: otpCode }),
  });
}

/** Completes an invite or reset token as the user would; returns the user's credentials. */
export async function acceptInvite(cluster: TestCluster, name: string, token: string, password = strongPassword(name)): Promise<TestUser> {
  const info = await readToken(cluster, token);
  if (info.user !== name) throw new Error(`token is for ${info.user}, expected ${name}`);
  const used = new Set<string>();
  const otp = info.otp_secret ? otpSource(info.otp_secret, used) : async () => '';
  const res = await completeToken(cluster, token, password, info.otp_secret ? await otp() : undefined);
  if (res.status !== 200) throw new Error(`PUT token: HTTP ${res.status}: ${errorMessageOf(res) || res.text}`);
  return { name, password, ...(info.otp_secret && { otpSecret: info.otp_secret }), otp };
}

/** `tctl users add` + invite completion. */
export async function createUser(
  cluster: TestCluster,
  name: string,
  opts: { roles: string[]; logins?: string[] },
): Promise<TestUser> {
  const add = await cluster.tctl(['users', 'add', name, `--roles=${opts.roles.join(',')}`, ...(opts.logins ? [`--logins=${opts.logins.join(',')}`] : [])]);
  if (add.code !== 0) throw new Error(`tctl users add ${name} failed: ${describeResult(add)}`);
  return acceptInvite(cluster, name, tokenFromURL(add.stdout));
}

/** `tsh login` as `user`, with password and OTP piped on stdin, into client home `home`. */
export async function tshLogin(cluster: TestCluster, user: TestUser, home: string, extra: string[] = []): Promise<CLIResult> {
  const stdin = `${user.password}\n${user.otpSecret ? `${await user.otp()}\n` : ''}`;
  return cluster.tsh(['login', `--proxy=${cluster.webAddr}`, `--user=${user.name}`, '--insecure', ...extra], {
    stdin, env: { TELEPORT_HOME: home, HOME: home },
  });
}
