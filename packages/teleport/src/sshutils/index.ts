/**
 * @module sshutils
 * OpenSSH certificates over ssh2, both directions: the foundation of the SSH node service, the proxy
 * and tsh. Proven against the real OpenSSH client and sshd in the tests next to this file.
 *
 * - {@link sshServerHostKeys}: ssh2 Server `hostKeys` that present the host certificate (and plain key).
 * - {@link verifyUserCertAuth}: decide a `publickey` attempt by user certificate, with a typed reason.
 * - {@link verifyHostCert}: client-side host certificate check (for ssh2's `hostVerifier`).
 * - {@link sshClientAuthConfig}: ssh2 Client options that log in with a user certificate and accept only
 *   hosts certified by the cluster's host CA.
 *
 * ssh2 1.17 has no certificate support (mscdex/ssh2#551). We present certificates as ssh2 key objects
 * whose `type` is the certificate algorithm and whose public blob is the certificate (certKey.ts), and
 * carry five patches with patch-package (/patches, applied by the root `postinstall`):
 *   001 server-sig-algs-comma: the server's `server-sig-algs` lacked a comma, hiding
 *       ecdsa-sha2-nistp521 and rsa-sha2-512 from clients (upstream PR #1485).
 *   002 server-host-cert-kex-signature (lib/protocol/kex.js): when the negotiated host key is a
 *       certificate, the KEX reply signature names the plain algorithm (ssh-ed25519, rsa-sha2-512),
 *       hashes as that algorithm and converts ECDSA signatures as the plain key; OpenSSH otherwise
 *       fails with "key type does not match".
 *   003 client-cert-userauth-signature (lib/protocol/Protocol.js authPK): the userauth signature made
 *       with a certificate names the plain algorithm; sshd otherwise refuses it.
 *   004 client-host-cert-algorithms (constants.js, kex.js): certificate host key algorithms are
 *       accepted in `algorithms.serverHostKey` (not in the defaults), the KEX signature is checked
 *       against the key inside the certificate, and hostVerifier gets the certificate blob.
 *   005 pooled-random-padding (lib/protocol/crypto.js): packet padding is copied from a pool of
 *       CSPRNG bytes refilled 4 KiB at a time instead of one randomFillSync call per packet, which
 *       cost more than the encryption itself in bulk transfers (a performance patch).
 *
 * Import ssh2 as a default import (`import ssh2 from 'ssh2'`): it is CommonJS and Node's ESM loader
 * finds no named exports in it.
 */
export { sshServerHostKeys, type SSHServerHostKeysOptions } from './hostKeys.ts';
export {
  verifyUserCertAuth, verifyHostCert, verifyHostCertAuth, sourceAddressAllows,
  type UserCertAuthResult, type UserCertAuthSuccess, type UserCertAuthFailure, type UserCertAuthFailureCode,
  type VerifyUserCertAuthOptions, type VerifyHostCertOptions, type VerifyHostCertAuthOptions, type HostCertAuthResult, type PublicKeyAttempt,
} from './userCertAuth.ts';
export { sshClientAuthConfig, CLIENT_HOST_KEY_ALGORITHMS, type SSHClientAuthOptions, type SSHClientAuthConfig } from './clientAuth.ts';
export { loadPrivateKey, loadCertKey, type LoadedCertKey } from './certKey.ts';
