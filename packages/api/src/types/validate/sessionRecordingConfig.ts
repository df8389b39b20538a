/**
 * @module types/validate/sessionRecordingConfig
 * Validation of the session_recording_config singleton (v2). Defaults: mode node, host keys checked.
 */
import { SingletonNames } from '../resource.ts';
import { RecordingModes, type RecordingMode, type SessionRecordingConfig } from '../clusterConfig.ts';
import { type Ctx, type Obj, checkKeys, optBool, optEnum, readMap } from './common.ts';
import { readEnvelope } from './metadata.ts';

/** Validates a session_recording_config document (kind already known). */
export function validateSessionRecordingConfig(ctx: Ctx, value: Obj): SessionRecordingConfig {
  const env = readEnvelope(ctx, value, {
    kind: 'session_recording_config', versions: ['v2'], singletonName: SingletonNames.sessionRecordingConfig,
  });
  const path = ['spec'];
  const spec = readMap(ctx, env.spec, path, true);
  checkKeys(ctx, spec, path, ['mode', 'proxy_checks_host_keys']);
  return {
    kind: 'session_recording_config',
    version: env.version,
    metadata: env.metadata,
    spec: {
      mode: optEnum(ctx, spec.mode, [...path, 'mode'], RecordingModes) ?? 'node',
      proxy_checks_host_keys: optBool(ctx, spec.proxy_checks_host_keys, [...path, 'proxy_checks_host_keys']) ?? true,
    },
  };
}

/** Builds a validated session recording config. */
export function newSessionRecordingConfig(mode: RecordingMode = 'node', proxyChecksHostKeys = true): SessionRecordingConfig {
  return validateSessionRecordingConfig({}, {
    kind: 'session_recording_config', spec: { mode, proxy_checks_host_keys: proxyChecksHostKeys },
  });
}
