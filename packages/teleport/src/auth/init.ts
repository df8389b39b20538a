/**
 * @module auth/init
 * First-start initialisation of the auth service: the cluster name, the certificate authorities
 * (user and host SSH + X.509, database), preset roles and cluster settings. Every step is
 * create-if-missing, so restarts keep existing state and two auth servers racing on an empty
 * backend converge on one set of CAs.
 */
import { randomUUID } from 'node:crypto';
import { BadParameterError, isAlreadyExists, isNotFound } from '@teleport-ts/api/errors';
import { generateKeyPair, privateKeyToPEM, type KeyAlgorithm } from '@teleport-ts/api/keys';
import type { Clock } from '@teleport-ts/api/clock';
import { sshPublicKeyBlob, formatAuthorizedKey } from '@teleport-ts/api/sshcert/publicKey';
import type { CAType, CertAuthority } from '@teleport-ts/api/types/certAuthority';
import type { AuthPreference, SessionRecordingConfig, SecondFactor, RecordingMode } from '@teleport-ts/api/types/clusterConfig';
import { PRESET_ROLES } from '@teleport-ts/api/types/presets';
import { createTLSCA } from '../ca/tlsCA.ts';
import type { LocalServices } from '../services/local/index.ts';
import type { Logger } from '../utils/logger.ts';

/** Key algorithms by purpose. */
export interface KeyAlgorithms {
  ssh: KeyAlgorithm;
  tls: KeyAlgorithm;
}

/** What init needs. */
export interface InitOptions {
  services: LocalServices;
  clusterName: string;
  clock: Clock;
  logger: Logger;
  algorithms: KeyAlgorithms;
  /** From teleport.yaml; applied on every start when given (the file is the source of truth). */
  secondFactor?: SecondFactor;
  authType?: AuthPreference['spec']['type'];
  recordingMode?: RecordingMode;
}

/** The CA types created on first start and what each holds. */
const CA_LAYOUT: Array<{ type: CAType; ssh: boolean; tls: boolean }> = [
  { type: 'user', ssh: true, tls: true },
  { type: 'host', ssh: true, tls: true },
  { type: 'db', ssh: false, tls: true },
];

/** Brings the backend to a usable state; returns the effective cluster name. */
export async function initAuthState(opts: InitOptions): Promise<string> {
  const { services, logger } = opts;
  const clusterName = await ensureClusterName(opts);
  for (const layout of CA_LAYOUT) {
    try {
      await services.trust.getCertAuthority(layout.type, clusterName, false);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      logger.info({ caType: layout.type }, 'generating certificate authority');
      try {
        await services.trust.createCertAuthority(newCA(layout, clusterName, opts));
      } catch (e) {
        if (!isAlreadyExists(e)) throw e; // another auth server won the race; use its CA
      }
    }
  }
  for (const role of PRESET_ROLES) {
    try {
      await services.access.createRole(role);
      logger.info({ role: role.metadata.name }, 'created preset role');
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
  const pref = await services.clusterConfig.getAuthPreference();
  if (opts.secondFactor || opts.authType) {
    const next: AuthPreference = {
      ...pref,
      spec: { ...pref.spec, ...(opts.secondFactor && { second_factor: opts.secondFactor }), ...(opts.authType && { type: opts.authType }) },
    };
    await services.clusterConfig.setAuthPreference(next);
  }
  if (opts.recordingMode) {
    const rec: SessionRecordingConfig = await services.clusterConfig.getSessionRecordingConfig();
    await services.clusterConfig.setSessionRecordingConfig({ ...rec, spec: { ...rec.spec, mode: opts.recordingMode } });
  }
  return clusterName;
}

async function ensureClusterName(opts: InitOptions): Promise<string> {
  try {
    return checkClusterName((await opts.services.clusterConfig.getClusterName()).spec.cluster_name, opts.clusterName);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  try {
    await opts.services.clusterConfig.createClusterName({
      kind: 'cluster_name',
      version: 'v2',
      metadata: { name: 'cluster-name' },
      spec: { cluster_name: opts.clusterName, cluster_id: randomUUID() },
    });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  // Another auth server may have won the race to create it: its name must match ours too.
  return checkClusterName((await opts.services.clusterConfig.getClusterName()).spec.cluster_name, opts.clusterName);
}

/** Returns the stored name, or throws when the configuration names another cluster. */
function checkClusterName(stored: string, configured: string): string {
  if (configured && stored !== configured) {
    throw new BadParameterError(
      `this data directory belongs to cluster "${stored}" but teleport.yaml says cluster_name "${configured}": ` +
        'the cluster name cannot change after first start; fix auth_service.cluster_name or use a new data_dir',
    );
  }
  return stored;
}

function newCA(layout: { type: CAType; ssh: boolean; tls: boolean }, clusterName: string, opts: InitOptions): CertAuthority {
  const ca: CertAuthority = {
    kind: 'cert_authority',
    version: 'v2',
    sub_kind: layout.type,
    metadata: { name: clusterName },
    spec: { type: layout.type, cluster_name: clusterName, active_keys: {} },
  };
  if (layout.ssh) {
    const kp = generateKeyPair(opts.algorithms.ssh);
    ca.spec.active_keys.ssh = [
      { public_key: formatAuthorizedKey(sshPublicKeyBlob(kp.publicKey)), private_key: privateKeyToPEM(kp.privateKey), private_key_type: 'raw' },
    ];
  }
  if (layout.tls) {
    const tls = createTLSCA({ clusterName, caType: layout.type, algorithm: opts.algorithms.tls, clock: opts.clock });
    ca.spec.active_keys.tls = [{ cert: tls.certPEM, key: tls.keyPEM, key_type: 'raw' }];
  }
  return ca;
}
