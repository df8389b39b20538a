/**
 * @module services/local/trust
 * Certificate authorities at /authorities/<type>/<cluster>. Private keys are stored with the CA but
 * every read strips them unless the caller asks for keys explicitly (only the auth server's signer does).
 */
import { BadParameterError } from '@teleport-ts/api/errors';
import { CATypes, withoutSecrets } from '@teleport-ts/api/types/certAuthority';
import type { CAType, CertAuthority } from '@teleport-ts/api/types/certAuthority';
import { key } from '../../backend/backend.ts';
import type { Backend } from '../../backend/backend.ts';
import { checkName, createJSON, deleteKey, getJSON, listJSON, putJSON, updateJSON } from './resourceStore.ts';

const AUTHORITIES = 'authorities';

function checkType(type: string): asserts type is CAType {
  if (!(CATypes as readonly string[]).includes(type)) {
    throw new BadParameterError(`unknown certificate authority type '${type}': use one of ${CATypes.join(', ')}`);
  }
}

function caKey(type: string, clusterName: string): string {
  checkType(type);
  checkName('cluster', clusterName);
  return key(AUTHORITIES, type, clusterName);
}

function label(type: string, clusterName: string): string {
  return `${type} certificate authority for cluster '${clusterName}'`;
}

/** Checks the envelope and that metadata.name agrees with spec.cluster_name; returns the key. */
function checkCA(ca: CertAuthority): string {
  if (ca.kind !== 'cert_authority') {
    throw new BadParameterError(`expected a resource of kind cert_authority, got '${String(ca.kind)}'`);
  }
  if (ca.metadata.name !== ca.spec.cluster_name) {
    throw new BadParameterError(
      `cert_authority metadata.name '${ca.metadata.name}' must equal spec.cluster_name '${ca.spec.cluster_name}'`,
    );
  }
  return caKey(ca.spec.type, ca.spec.cluster_name);
}

const strip = (ca: CertAuthority, loadKeys: boolean): CertAuthority => (loadKeys ? ca : withoutSecrets(ca));

/** Stores certificate authorities. */
export class TrustService {
  constructor(private readonly backend: Backend) {}

  /** Reads one CA; private keys only with `loadKeys`. NotFoundError "host certificate authority for cluster 'x' not found". */
  async getCertAuthority(type: CAType, clusterName: string, loadKeys: boolean): Promise<CertAuthority> {
    const ca = await getJSON<CertAuthority>(this.backend, caKey(type, clusterName), label(type, clusterName));
    return strip(ca, loadKeys);
  }

  /** Lists CAs of one type, or of every type when `type` is undefined; private keys only with `loadKeys`. */
  async listCertAuthorities(type?: CAType, loadKeys = false): Promise<CertAuthority[]> {
    if (type !== undefined) checkType(type);
    const prefix = type === undefined ? key(AUTHORITIES) + '/' : key(AUTHORITIES, type) + '/';
    const cas = await listJSON<CertAuthority>(this.backend, prefix);
    return cas.map((ca) => strip(ca, loadKeys));
  }

  /**
   * Creates a CA; AlreadyExistsError if one exists. Create-only so that when two auth servers start at
   * once exactly one generates the cluster's keys; the other re-reads the winner's CA.
   */
  async createCertAuthority(ca: CertAuthority): Promise<CertAuthority> {
    const k = checkCA(ca);
    return createJSON(this.backend, k, ca, label(ca.spec.type, ca.spec.cluster_name));
  }

  /** Creates or overwrites a CA (trusted clusters, imports). */
  async upsertCertAuthority(ca: CertAuthority): Promise<CertAuthority> {
    return putJSON(this.backend, checkCA(ca), ca);
  }

  /** Overwrites an existing CA; with `metadata.revision` set, a stale revision is a CompareFailedError (rotation). */
  async updateCertAuthority(ca: CertAuthority): Promise<CertAuthority> {
    const k = checkCA(ca);
    return updateJSON(this.backend, k, ca, label(ca.spec.type, ca.spec.cluster_name));
  }

  /** Deletes a CA; NotFoundError if missing. */
  async deleteCertAuthority(type: CAType, clusterName: string): Promise<void> {
    await deleteKey(this.backend, caKey(type, clusterName), label(type, clusterName));
  }
}
