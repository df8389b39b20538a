/**
 * @module integration/lockout.test
 * Brute-force protection: five wrong passwords lock the user, after which even the right password
 * and a valid TOTP code are refused with a "locked" message; every failure is audited as user.login
 * T1000W (success false) in the searchable log and in the daily JSON-lines file; an administrator's
 * `tctl users reset` followed by completing the reset link unlocks the account.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair } from '../packages/api/src/keys.ts';
import { formatAuthorizedKey, sshPublicKeyBlob } from '../packages/api/src/sshcert/publicKey.ts';
import { generateTOTP } from '../packages/teleport/src/auth/totp.ts';
import { WebAPIPaths, type CreateSSHCertRequest } from '../packages/api/src/webapi.ts';
import { readAuditFiles } from './helpers/audit.ts';
import { describeResult } from './helpers/cli.ts';
import { startTestCluster, type TestCluster } from './helpers/cluster.ts';
import { acceptInvite, createUser, tokenFromURL, tshLogin } from './helpers/users.ts';
import { errorMessageOf, webRequest } from './helpers/web.ts';

/** A login request for a fresh key. */
function loginRequest(user: string, password: string, otp: string): CreateSSHCertRequest {
  const { publicKey } = generateKeyPair('ed25519');
  return {
    user, password, otp_token: otp,
    pub_key: Buffer.from(formatAuthorizedKey(sshPublicKeyBlob(publicKey))).toString('base64'),
  };
}

describe('login lockout', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startTestCluster();
  });
  after(async () => {
    await cluster?.close();
  });

  test('five wrong passwords lock the user; reset + invite completion unlocks', async () => {
    const dave = await createUser(cluster, 'dave', { roles: ['access'], logins: ['dave'] });

    for (let i = 1; i <= 5; i++) {
      const res = await webRequest(cluster.webAddr, 'POST', WebAPIPaths.sshCerts, loginRequest('dave', `wrong-password-${i}`, '000000'));
      assert.equal(res.status, 403, `attempt ${i}: ${res.text}`);
      assert.match(errorMessageOf(res), /invalid username, password or second factor/);
    }

    // The sixth attempt has everything right and is still refused.
    const home = cluster.newHome();
    const locked = await tshLogin(cluster, dave, home);
    assert.notEqual(locked.code, 0, describeResult(locked));
    assert.match(locked.stderr, /ERROR: .*locked/, describeResult(locked));
    assert.match(locked.stderr, /tctl users reset dave/);
    // A locked user's codes are never checked (nor spent), so the current one can be sent again.
    const current = generateTOTP(dave.otpSecret ?? '', Date.now());
    const direct = await webRequest(cluster.webAddr, 'POST', WebAPIPaths.sshCerts, loginRequest('dave', dave.password, current));
    assert.equal(direct.status, 403, direct.text);
    assert.match(errorMessageOf(direct), /locked/);

    // Audit: one T1000W per failure, in the searchable log and in the daily file.
    const failures = (await cluster.auditEvents('user.login')).filter((e) => e.user === 'dave');
    assert.equal(failures.length, 7, JSON.stringify(failures, null, 1));
    for (const e of failures) {
      assert.equal(e.code, 'T1000W');
      assert.equal(e.success, false);
    }
    assert.equal(failures.filter((e) => e.error === 'invalid password').length, 5);
    assert.equal(failures.filter((e) => e.error === 'user is locked').length, 2);
    const onDisk = (await readAuditFiles(cluster.dataDir)).filter((e) => e.event === 'user.login' && e.user === 'dave');
    assert.deepEqual(onDisk.map((e) => e.uid).sort(), failures.map((e) => e.uid).sort());

    // tctl users reset, then the user completes the reset link with a new password and TOTP device.
    const reset = await cluster.tctl(['users', 'reset', 'dave']);
    assert.equal(reset.code, 0, describeResult(reset));
    assert.match(reset.stdout, /\/web\/reset\/[0-9a-f]{32}/);
    const renewed = await acceptInvite(cluster, 'dave', tokenFromURL(reset.stdout), 'a-brand-new-password-for-dave');
    const login = await tshLogin(cluster, renewed, home);
    assert.equal(login.code, 0, describeResult(login));
    assert.match(login.stdout, /Logged in as:\s+dave$/m);

    const success = (await cluster.auditEvents('user.login')).filter((e) => e.user === 'dave' && e.success === true);
    assert.equal(success.length, 1);
    assert.equal(success[0]?.code, 'T1000I');
  });
});
