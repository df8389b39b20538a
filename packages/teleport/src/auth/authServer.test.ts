/**
 * @module auth/authServer.test
 * AuthServer.caPins: pins of the host CA's current TLS certificates, computed once per certificate
 * and following the keyring when its certificates change (rotation adds and later drops some).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock } from '@teleport-ts/api/clock';
import { caPin } from '@teleport-ts/api/tlsca/pin';
import { createTLSCA } from '../ca/tlsCA.ts';
import { newTestAuthServer } from './testAuthServer.ts';

describe('AuthServer.caPins', () => {
  it('returns the pin of every host CA certificate, in order, and follows changes to them', async () => {
    const { auth } = await newTestAuthServer();
    try {
      const current = await auth.keyring.tlsCerts('host');
      const expected = current.map((pem) => caPin(pem));
      assert.deepEqual(await auth.caPins(), expected);
      assert.deepEqual(await auth.caPins(), expected, 'cached pins are the same pins');

      // A rotation in progress: a new certificate is trusted as well, then becomes the only one.
      const next = createTLSCA({ clusterName: auth.clusterName, caType: 'host', algorithm: 'ecdsa-p256', clock: systemClock }).certPEM;
      let pems = [next, ...current];
      auth.keyring.tlsCerts = () => Promise.resolve(pems);
      assert.deepEqual(await auth.caPins(), [caPin(next), ...expected]);
      pems = [next];
      assert.deepEqual(await auth.caPins(), [caPin(next)]);
      assert.notEqual(caPin(next), expected[0]);
    } finally {
      await auth.close();
    }
  });
});
