/**
 * @module sshcert
 * OpenSSH keys, signatures and certificates implemented over node:crypto: wire encoding, public and
 * private key files, the certificate codec and verifier, and Teleport's certificate identity fields.
 */
export * from './wire.ts';
export * from './publicKey.ts';
export * from './privateKey.ts';
export * from './signature.ts';
export * from './certificate.ts';
export * from './identity.ts';
