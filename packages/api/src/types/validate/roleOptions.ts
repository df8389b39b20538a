/**
 * @module types/validate/roleOptions
 * Checks `spec.options` of a role and fills upstream's defaults (max_session_ttl 30h, port forwarding
 * and file copy on, agent forwarding off, sessions recorded best-effort).
 */
import type { RoleOptions, RecordSession } from '../role.ts';
import type { FieldPath } from '../../yamlSource.ts';
import {
  type Ctx, checkKeys, compact, fail, optBool, optCount, optDuration, optEnum, readMap, typeName,
} from './common.ts';

/** Values of record_session.default / record_session.ssh. */
export const RecordSessionModes = ['best_effort', 'strict'] as const;
/** Values of options.lock. */
export const LockingModes = ['best_effort', 'strict'] as const;
/** Values of options.create_host_user_mode. */
export const CreateHostUserModes = ['off', 'drop', 'keep', 'insecure-drop'] as const;
/** Values of options.create_db_user_mode. */
export const CreateDBUserModes = ['off', 'keep', 'best_effort_drop'] as const;
/** Values of options.cert_format. */
export const CertFormats = ['standard', 'oldssh'] as const;

/** Shortest max_session_ttl a role may set (upstream's minimum). */
export const MIN_SESSION_TTL_MS = 60_000;

const optionKeys = [
  'max_session_ttl', 'forward_agent', 'port_forwarding', 'ssh_port_forwarding', 'ssh_file_copy',
  'client_idle_timeout', 'disconnect_expired_cert', 'require_session_mfa', 'record_session', 'max_sessions',
  'max_connections', 'lock', 'create_host_user_mode', 'create_db_user_mode', 'cert_format', 'permit_x11_forwarding',
];
/** Upstream options we accept so upstream YAML loads, but which have no effect here and are dropped. */
const ignoredOptionKeys = [
  'enhanced_recording', 'desktop_clipboard', 'desktop_directory_sharing', 'pin_source_ip', 'create_desktop_user',
  'create_db_user', 'create_host_user', 'idp', 'device_trust_mode', 'max_kubernetes_connections', 'request_access',
  'request_prompt', 'ssh_session_recording',
];

function readForwardMode(ctx: Ctx, v: unknown, path: FieldPath): { enabled?: boolean } | undefined {
  if (v === undefined || v === null) return undefined;
  const m = readMap(ctx, v, path);
  checkKeys(ctx, m, path, ['enabled']);
  return compact({ enabled: optBool(ctx, m.enabled, [...path, 'enabled']) });
}

function readRecordSession(ctx: Ctx, v: unknown, path: FieldPath): RecordSession {
  const m = readMap(ctx, v, path, true);
  checkKeys(ctx, m, path, ['default', 'ssh', 'desktop']);
  return compact({
    default: optEnum(ctx, m.default, [...path, 'default'], RecordSessionModes) ?? 'best_effort',
    ssh: optEnum(ctx, m.ssh, [...path, 'ssh'], RecordSessionModes),
    desktop: optBool(ctx, m.desktop, [...path, 'desktop']) ?? true,
  });
}

function readRequireMFA(ctx: Ctx, v: unknown, path: FieldPath): boolean | undefined {
  // Upstream also accepts strings here; "session" and "off" map onto our boolean.
  if (v === 'session') return true;
  if (v === 'off') return false;
  if (v !== undefined && v !== null && typeof v !== 'boolean') {
    fail(ctx, path, `expected true, false, "session" or "off", got ${typeof v === 'string' ? `"${v}"` : typeName(v)}`);
  }
  return optBool(ctx, v, path);
}

/** Reads role options (absent means all defaults). */
export function readRoleOptions(ctx: Ctx, v: unknown): RoleOptions {
  const path = ['spec', 'options'];
  const m = readMap(ctx, v, path, true);
  checkKeys(ctx, m, path, [...optionKeys, ...ignoredOptionKeys]);
  const at = (k: string): FieldPath => [...path, k];

  const ttl = optDuration(ctx, m.max_session_ttl, at('max_session_ttl'));
  if (ttl && ttl.ms < MIN_SESSION_TTL_MS) fail(ctx, at('max_session_ttl'), `must be at least 1m, got ${ttl.text}`);
  const idle = optDuration(ctx, m.client_idle_timeout, at('client_idle_timeout'));

  let sshPF: RoleOptions['ssh_port_forwarding'];
  if (m.ssh_port_forwarding !== undefined && m.ssh_port_forwarding !== null) {
    const pf = readMap(ctx, m.ssh_port_forwarding, at('ssh_port_forwarding'));
    checkKeys(ctx, pf, at('ssh_port_forwarding'), ['local', 'remote']);
    sshPF = compact({
      local: readForwardMode(ctx, pf.local, [...at('ssh_port_forwarding'), 'local']),
      remote: readForwardMode(ctx, pf.remote, [...at('ssh_port_forwarding'), 'remote']),
    });
  }
  const portForwarding = optBool(ctx, m.port_forwarding, at('port_forwarding'));

  return compact<RoleOptions>({
    max_session_ttl: ttl?.text ?? '30h0m0s',
    forward_agent: optBool(ctx, m.forward_agent, at('forward_agent')) ?? false,
    // Like upstream, port forwarding is on unless a role says otherwise (in either form).
    port_forwarding: portForwarding ?? (sshPF ? undefined : true),
    ssh_port_forwarding: sshPF,
    ssh_file_copy: optBool(ctx, m.ssh_file_copy, at('ssh_file_copy')) ?? true,
    client_idle_timeout: idle?.text,
    disconnect_expired_cert: optBool(ctx, m.disconnect_expired_cert, at('disconnect_expired_cert')),
    require_session_mfa: readRequireMFA(ctx, m.require_session_mfa, at('require_session_mfa')),
    record_session: readRecordSession(ctx, m.record_session, at('record_session')),
    max_sessions: optCount(ctx, m.max_sessions, at('max_sessions')),
    max_connections: optCount(ctx, m.max_connections, at('max_connections')),
    lock: optEnum(ctx, m.lock, at('lock'), LockingModes),
    create_host_user_mode: optEnum(ctx, m.create_host_user_mode, at('create_host_user_mode'), CreateHostUserModes),
    create_db_user_mode: optEnum(ctx, m.create_db_user_mode, at('create_db_user_mode'), CreateDBUserModes),
    cert_format: optEnum(ctx, m.cert_format, at('cert_format'), CertFormats) ?? 'standard',
    permit_x11_forwarding: optBool(ctx, m.permit_x11_forwarding, at('permit_x11_forwarding')),
  });
}
