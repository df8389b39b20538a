/**
 * @module tlsca/oids
 * Object identifiers used in the Subject of Teleport X.509 certificates. The standard attributes carry
 * the core identity (CN = user, O = roles, OU = usage, L = logins, STREET = route-to-cluster,
 * POSTALCODE = traits JSON); Teleport's private arc 1.3.9999 carries the rest. The numbers match upstream
 * Teleport so certificates stay readable by tools that know its layout.
 */

/** Standard X.520 attribute types used for the identity. */
export const NAME_OIDS = {
  /** CN: username, or host ID for service certificates. */
  commonName: '2.5.4.3',
  /** O: roles, one value each. */
  organization: '2.5.4.10',
  /** OU: usage restrictions. */
  organizationalUnit: '2.5.4.11',
  /** L: allowed logins (principals). */
  locality: '2.5.4.7',
  /** STREET: the cluster to route to. */
  streetAddress: '2.5.4.9',
  /** POSTALCODE: traits as JSON. */
  postalCode: '2.5.4.17',
} as const;

/** Teleport's custom Subject attributes (arc 1.3.9999). */
export const TELEPORT_OIDS = {
  /** Kubernetes users (multi-valued). */
  kubeUsers: '1.3.9999.1.1',
  /** Kubernetes groups (multi-valued). */
  kubeGroups: '1.3.9999.1.2',
  /** Kubernetes cluster to route to. */
  kubeCluster: '1.3.9999.1.3',
  /** Application session ID. */
  appSessionId: '1.3.9999.1.4',
  /** Cluster the application lives in. */
  appClusterName: '1.3.9999.1.5',
  /** Application public address. */
  appPublicAddr: '1.3.9999.1.6',
  /** Teleport cluster that issued the certificate. */
  teleportCluster: '1.3.9999.1.7',
  /** MFA device that verified the session (per-session MFA). */
  mfaVerified: '1.3.9999.1.8',
  /** Client IP at login. */
  loginIP: '1.3.9999.1.9',
  /** Application name. */
  appName: '1.3.9999.1.10',
  /** Database service name. */
  dbServiceName: '1.3.9999.2.1',
  /** Database protocol. */
  dbProtocol: '1.3.9999.2.2',
  /** Database user. */
  dbUsername: '1.3.9999.2.3',
  /** Database name. */
  dbName: '1.3.9999.2.4',
  /** Active access request IDs (multi-valued). */
  activeRequests: '1.3.9999.2.8',
  /** System roles of a service certificate (multi-valued). */
  systemRoles: '1.3.9999.2.11',
  /** Machine ID bot name. */
  botName: '1.3.9999.2.18',
} as const;
