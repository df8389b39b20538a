/**
 * @module types/clusterConfig
 * Cluster-wide singleton settings: cluster_name, cluster_auth_preference, session_recording_config.
 */
import type { Resource } from './resource.ts';

/** cluster_name spec. */
export interface ClusterNameSpec {
  cluster_name: string;
  cluster_id: string;
}
/** The cluster's name; set once on first start. */
export type ClusterName = Resource<'cluster_name', ClusterNameSpec>;

/** Second factor modes. */
export const SecondFactors = ['off', 'otp', 'webauthn', 'on', 'optional'] as const;
/** A second factor mode. */
export type SecondFactor = (typeof SecondFactors)[number];

/** cluster_auth_preference spec. */
export interface AuthPreferenceSpec {
  type: 'local' | 'github' | 'oidc' | 'saml';
  second_factor: SecondFactor;
  webauthn?: { rp_id?: string };
  /** Disconnect sessions when the certificate expires. */
  disconnect_expired_cert?: boolean;
  /** Key algorithm suite: we accept "legacy" (RSA) and "balanced-v1" (Ed25519 SSH / ECDSA TLS). */
  signature_algorithm_suite?: string;
}
/** Authentication settings. */
export type AuthPreference = Resource<'cluster_auth_preference', AuthPreferenceSpec>;

/** Session recording modes. */
export const RecordingModes = ['node', 'proxy', 'node-sync', 'proxy-sync', 'off'] as const;
/** A recording mode. */
export type RecordingMode = (typeof RecordingModes)[number];

/** session_recording_config spec. */
export interface SessionRecordingConfigSpec {
  mode: RecordingMode;
  proxy_checks_host_keys?: boolean;
}
/** Where sessions are recorded. */
export type SessionRecordingConfig = Resource<'session_recording_config', SessionRecordingConfigSpec>;
