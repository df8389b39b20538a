/**
 * @module auth/resources/clusterSettings
 * Singleton kinds: cluster_name (read-only), cluster_auth_preference, session_recording_config,
 * and cert_authority (read-only here, always without private keys).
 */
import { BadParameterError, NotFoundError } from '@teleport-ts/api/errors';
import type { AuthPreference, SessionRecordingConfig } from '@teleport-ts/api/types/clusterConfig';
import { CATypes, type CAType } from '@teleport-ts/api/types/certAuthority';
import type { HandlerDeps, ResourceHandler } from './handler.ts';

function singleton(kind: string, fixedName: string, name: string): void {
  if (name && name !== fixedName) throw new NotFoundError(`${kind} '${name}' not found: the only one is '${fixedName}'`);
}

/** Handler for kind "cluster_name". */
export function clusterNameHandler(deps: HandlerDeps): ResourceHandler {
  const cc = deps.services.clusterConfig;
  return {
    kind: 'cluster_name',
    get: async (name) => (singleton('cluster_name', 'cluster-name', name), cc.getClusterName()),
    list: async () => [await cc.getClusterName()],
  };
}

/** Handler for kind "cluster_auth_preference". */
export function authPreferenceHandler(deps: HandlerDeps): ResourceHandler {
  const cc = deps.services.clusterConfig;
  const write = async (r: unknown, actor: string) => {
    const pref = r as AuthPreference;
    if (pref.spec.second_factor === 'webauthn') {
      throw new BadParameterError('second_factor "webauthn" is not supported yet: use "otp", "on", "optional" or "off"');
    }
    const out = await cc.setAuthPreference(pref);
    await deps.audit.emit({ event: 'auth_preference.update', code: 'TCAUTH001I', user: actor });
    return out;
  };
  return {
    kind: 'cluster_auth_preference',
    get: async (name) => (singleton('cluster_auth_preference', 'cluster-auth-preference', name), cc.getAuthPreference()),
    list: async () => [await cc.getAuthPreference()],
    create: write,
    upsert: write,
  };
}

/** Handler for kind "session_recording_config". */
export function recordingConfigHandler(deps: HandlerDeps): ResourceHandler {
  const cc = deps.services.clusterConfig;
  const write = async (r: unknown, actor: string) => {
    const out = await cc.setSessionRecordingConfig(r as SessionRecordingConfig);
    await deps.audit.emit({ event: 'session_recording_config.update', code: 'TCREC003I', user: actor });
    return out;
  };
  return {
    kind: 'session_recording_config',
    get: async (name) => (singleton('session_recording_config', 'session-recording-config', name), cc.getSessionRecordingConfig()),
    list: async () => [await cc.getSessionRecordingConfig()],
    create: write,
    upsert: write,
  };
}

/** Handler for kind "cert_authority"; names are "<type>" or "<type>/<cluster>". */
export function certAuthorityHandler(deps: HandlerDeps): ResourceHandler {
  const trust = deps.services.trust;
  return {
    kind: 'cert_authority',
    async get(name) {
      const [type, cluster] = name.split('/');
      if (!CATypes.includes(type as CAType)) throw new BadParameterError(`unknown CA type "${type}": use one of ${CATypes.join(', ')}`);
      return trust.getCertAuthority(type as CAType, cluster || deps.clusterName, false);
    },
    list: () => trust.listCertAuthorities(undefined, false),
  };
}
