/**
 * @module @teleport-ts/api
 * Public API of the cluster: errors, clock, durations, keys and resource types. Deeper modules
 * (sshcert, tlsca, client, events) are imported by path, e.g. '@teleport-ts/api/sshcert/certificate'.
 */
export * from './errors.ts';
export * from './clock.ts';
export * from './duration.ts';
export * from './keys.ts';
export * from './types/resource.ts';
export * from './types/user.ts';
export * from './types/role.ts';
export * from './types/token.ts';
export * from './types/certAuthority.ts';
export * from './types/clusterConfig.ts';
export * from './types/userToken.ts';
