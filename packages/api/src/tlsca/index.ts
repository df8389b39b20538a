/**
 * @module tlsca
 * X.509 side of the public API: identity encoding in certificate subjects, the OIDs it uses, and CA pins.
 * Issuing certificates is server code (packages/teleport/src/ca).
 */
export * from './oids.ts';
export * from './identity.ts';
export * from './pin.ts';
