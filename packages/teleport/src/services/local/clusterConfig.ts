/**
 * @module services/local/clusterConfig
 * Cluster-wide singletons under /cluster_configuration/: the cluster name (written once, on first start,
 * and never changed), the authentication preference and the session recording config. The latter two read
 * as their defaults until someone sets them.
 */
import { AlreadyExistsError, BadParameterError, isAlreadyExists, isNotFound } from '@teleport-ts/api/errors';
import { SingletonNames } from '@teleport-ts/api/types/resource';
import type { Resource } from '@teleport-ts/api/types/resource';
import type { AuthPreference, ClusterName, SessionRecordingConfig } from '@teleport-ts/api/types/clusterConfig';
import { key } from '../../backend/backend.ts';
import type { Backend } from '../../backend/backend.ts';
import { createJSON, getJSON, putJSON, updateJSON } from './resourceStore.ts';

const CONFIG = 'cluster_configuration';
const NAME_KEY = key(CONFIG, 'name');
const AUTH_PREFERENCE_KEY = key(CONFIG, 'authentication_preference');
const SESSION_RECORDING_KEY = key(CONFIG, 'session_recording');

/** The authentication preference a new cluster starts with: local users with TOTP. */
export function defaultAuthPreference(): AuthPreference {
  return {
    kind: 'cluster_auth_preference',
    version: 'v2',
    metadata: { name: SingletonNames.clusterAuthPreference },
    spec: { type: 'local', second_factor: 'otp' },
  };
}

/** The session recording config a new cluster starts with: recorded at the node. */
export function defaultSessionRecordingConfig(): SessionRecordingConfig {
  return {
    kind: 'session_recording_config',
    version: 'v2',
    metadata: { name: SingletonNames.sessionRecordingConfig },
    spec: { mode: 'node' },
  };
}

/** Checks a singleton's kind and fixes its name (the name is not the caller's choice). */
function asSingleton<T extends Resource>(resource: T, kind: string, name: string): T {
  if (resource.kind !== kind) {
    throw new BadParameterError(`expected a resource of kind ${kind}, got '${String(resource.kind)}'`);
  }
  return { ...resource, metadata: { ...resource.metadata, name } };
}

/** Reads a singleton, or returns `fallback()` if it was never set. */
async function getOr<T extends Resource>(backend: Backend, k: string, label: string, fallback: () => T): Promise<T> {
  try {
    return await getJSON<T>(backend, k, label);
  } catch (err) {
    if (isNotFound(err)) return fallback();
    throw err;
  }
}

/** Writes a singleton: conditional on `metadata.revision` when the caller read it first, else unconditional. */
async function setSingleton<T extends Resource>(backend: Backend, k: string, value: T, label: string): Promise<T> {
  if (value.metadata.revision === undefined) return putJSON(backend, k, value);
  return updateJSON(backend, k, value, label);
}

/** Stores the cluster-wide configuration singletons. */
export class ClusterConfigService {
  constructor(private readonly backend: Backend) {}

  /** Reads the cluster name; NotFoundError "cluster name not found" before the first start finished. */
  async getClusterName(): Promise<ClusterName> {
    return getJSON<ClusterName>(this.backend, NAME_KEY, 'cluster name');
  }

  /** Sets the cluster name once; AlreadyExistsError naming the existing name on any later call. */
  async createClusterName(clusterName: ClusterName): Promise<ClusterName> {
    const value = asSingleton(clusterName, 'cluster_name', SingletonNames.clusterName);
    if (!value.spec.cluster_name) throw new BadParameterError('cluster_name spec.cluster_name must not be empty');
    try {
      return await createJSON(this.backend, NAME_KEY, value, 'cluster name');
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await this.getClusterName();
      throw new AlreadyExistsError(
        `cluster name is already set to '${existing.spec.cluster_name}': a cluster's name cannot be changed`,
        { cause: err },
      );
    }
  }

  /** Reads the authentication preference, or the default (local, second_factor otp) if never set. */
  async getAuthPreference(): Promise<AuthPreference> {
    return getOr(this.backend, AUTH_PREFERENCE_KEY, 'authentication preference', defaultAuthPreference);
  }

  /** Stores the authentication preference (conditionally when it carries a revision). */
  async setAuthPreference(pref: AuthPreference): Promise<AuthPreference> {
    const value = asSingleton(pref, 'cluster_auth_preference', SingletonNames.clusterAuthPreference);
    return setSingleton(this.backend, AUTH_PREFERENCE_KEY, value, 'authentication preference');
  }

  /** Reads the session recording config, or the default (mode node) if never set. */
  async getSessionRecordingConfig(): Promise<SessionRecordingConfig> {
    return getOr(this.backend, SESSION_RECORDING_KEY, 'session recording config', defaultSessionRecordingConfig);
  }

  /** Stores the session recording config (conditionally when it carries a revision). */
  async setSessionRecordingConfig(config: SessionRecordingConfig): Promise<SessionRecordingConfig> {
    const value = asSingleton(config, 'session_recording_config', SingletonNames.sessionRecordingConfig);
    return setSingleton(this.backend, SESSION_RECORDING_KEY, value, 'session recording config');
  }
}
