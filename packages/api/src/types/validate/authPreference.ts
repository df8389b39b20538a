/**
 * @module types/validate/authPreference
 * Validation of the cluster_auth_preference singleton (v2). Defaults: type local, second_factor otp.
 */
import { SingletonNames } from '../resource.ts';
import { SecondFactors, type AuthPreference, type AuthPreferenceSpec } from '../clusterConfig.ts';
import { type Ctx, type Obj, checkKeys, compact, optBool, optEnum, optString, readMap } from './common.ts';
import { readEnvelope } from './metadata.ts';

/** Authentication types. */
export const AuthTypes = ['local', 'github', 'oidc', 'saml'] as const;
/** Signature algorithm suites we understand. */
export const SignatureAlgorithmSuites = ['legacy', 'balanced-v1'] as const;

/** Validates a cluster_auth_preference document (kind already known). */
export function validateAuthPreference(ctx: Ctx, value: Obj): AuthPreference {
  const env = readEnvelope(ctx, value, {
    kind: 'cluster_auth_preference', versions: ['v2'], singletonName: SingletonNames.clusterAuthPreference,
  });
  const path = ['spec'];
  const spec = readMap(ctx, env.spec, path, true);
  checkKeys(ctx, spec, path, ['type', 'second_factor', 'webauthn', 'disconnect_expired_cert', 'signature_algorithm_suite']);
  let webauthn: AuthPreferenceSpec['webauthn'];
  if (spec.webauthn !== undefined && spec.webauthn !== null) {
    const w = readMap(ctx, spec.webauthn, [...path, 'webauthn']);
    checkKeys(ctx, w, [...path, 'webauthn'], ['rp_id']);
    webauthn = compact({ rp_id: optString(ctx, w.rp_id, [...path, 'webauthn', 'rp_id']) });
  }
  return {
    kind: 'cluster_auth_preference',
    version: env.version,
    metadata: env.metadata,
    spec: compact({
      type: optEnum(ctx, spec.type, [...path, 'type'], AuthTypes) ?? 'local',
      second_factor: optEnum(ctx, spec.second_factor, [...path, 'second_factor'], SecondFactors) ?? 'otp',
      webauthn,
      disconnect_expired_cert: optBool(ctx, spec.disconnect_expired_cert, [...path, 'disconnect_expired_cert']),
      signature_algorithm_suite: optEnum(ctx, spec.signature_algorithm_suite, [...path, 'signature_algorithm_suite'], SignatureAlgorithmSuites),
    }),
  };
}

/** Builds a validated auth preference from a partial spec (defaults filled). */
export function newAuthPreference(spec: Partial<AuthPreferenceSpec> = {}): AuthPreference {
  return validateAuthPreference({}, { kind: 'cluster_auth_preference', spec: spec as Obj });
}
