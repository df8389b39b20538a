/**
 * @module types/certAuthority
 * Certificate authority resources (kind cert_authority, version v2). Private keys are stored in the
 * backend but stripped by every API that returns CAs (`withoutSecrets`).
 */
import type { Resource } from './resource.ts';

/** CA types, as upstream names them. */
export const CATypes = ['user', 'host', 'db', 'db_client', 'openssh', 'jwt'] as const;
/** A CA type. */
export type CAType = (typeof CATypes)[number];

/** One SSH key of a CA. public_key is an authorized_keys line; private_key is PKCS#8 PEM. */
export interface SSHKeyPair {
  public_key: string;
  private_key?: string;
  private_key_type?: 'raw';
}

/** One X.509 key of a CA: cert and key in PEM. */
export interface TLSKeyPair {
  cert: string;
  key?: string;
  key_type?: 'raw';
}

/** The keys of a CA. */
export interface CAKeySet {
  ssh?: SSHKeyPair[];
  tls?: TLSKeyPair[];
}

/** Rotation state (rotation itself is a later feature). */
export interface Rotation {
  state?: 'standby' | 'in_progress';
  phase?: 'standby' | 'init' | 'update_clients' | 'update_servers' | 'rollback';
  mode?: 'manual' | 'auto';
  current_id?: string;
  started?: string;
  grace_period?: string;
}

/** CA spec. */
export interface CertAuthoritySpec {
  type: CAType;
  cluster_name: string;
  active_keys: CAKeySet;
  additional_trusted_keys?: CAKeySet;
  rotation?: Rotation;
}

/** A certificate authority; metadata.name is the cluster name. */
export type CertAuthority = Resource<'cert_authority', CertAuthoritySpec>;

/** Returns a copy with every private key removed. */
export function withoutSecrets(ca: CertAuthority): CertAuthority {
  const strip = (set: CAKeySet | undefined): CAKeySet | undefined =>
    set && {
      ...(set.ssh && { ssh: set.ssh.map(({ public_key }) => ({ public_key })) }),
      ...(set.tls && { tls: set.tls.map(({ cert }) => ({ cert })) }),
    };
  const spec: CertAuthoritySpec = { ...ca.spec, active_keys: strip(ca.spec.active_keys) ?? {} };
  const extra = strip(ca.spec.additional_trusted_keys);
  if (extra) spec.additional_trusted_keys = extra;
  else delete spec.additional_trusted_keys;
  return { ...ca, spec };
}
