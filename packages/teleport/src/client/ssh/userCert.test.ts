/**
 * @module client/ssh/userCert.test
 * Local certificate checks before dialing: the expiry message and the login check, and durations.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AccessDeniedError, TrustError } from '@teleport-ts/api/errors';
import { makeCA, makeKey, userCert } from '../../sshutils/testkit.ts';
import { checkLoginAllowed, checkNotExpired, shortDuration, userCertInfo } from './userCert.ts';

const ca = makeCA();
const key = makeKey();

describe('user certificate checks', () => {
  it('formats short durations', () => {
    assert.equal(shortDuration(999), '0s');
    assert.equal(shortDuration(45_000), '45s');
    assert.equal(shortDuration(5 * 60_000 + 59_000), '5m');
    assert.equal(shortDuration(2 * 3600_000), '2h');
    assert.equal(shortDuration(2 * 3600_000 + 5 * 60_000), '2h5m');
    assert.equal(shortDuration(3 * 86400_000 + 4 * 3600_000), '3d4h');
  });

  it('says how long ago the certificate expired and what to run', () => {
    const line = userCert(ca, key, { ttlMs: 3600_000 });
    const { validBefore } = userCertInfo(line);
    assert.doesNotThrow(() => checkNotExpired(line, new Date(validBefore.getTime() - 1000)));
    assert.throws(() => checkNotExpired(line, new Date(validBefore.getTime() + 5 * 60_000)), (err: Error) => {
      assert.ok(err instanceof TrustError);
      assert.equal(err.message, "certificate expired 5m ago - run 'tsh login'");
      return true;
    });
    assert.throws(() => checkNotExpired(line, new Date(validBefore.getTime() + 1000), 'tsh login --proxy=p:3080'), /expired 1s ago - run 'tsh login --proxy=p:3080'/);
  });

  it('refuses a login the certificate does not list, naming the allowed ones', () => {
    const info = userCertInfo(userCert(ca, key, { logins: ['alice', 'root', '-teleport-internal-join'] }));
    assert.deepEqual(info.logins, ['alice', 'root', '-teleport-internal-join']);
    assert.doesNotThrow(() => checkLoginAllowed(info, 'root', 'node1'));
    assert.throws(() => checkLoginAllowed(info, 'bob', 'node1'), (err: Error) => {
      assert.ok(err instanceof AccessDeniedError);
      assert.equal(err.message, 'access denied to bob@node1: your roles do not allow login "bob" (allowed: alice, root); pick one with -l or user@host');
      return true;
    });
  });

  it('reports an unreadable certificate with a relogin hint', () => {
    assert.throws(() => userCertInfo('garbage'), /cannot be read: run 'tsh login' again/);
  });
});
