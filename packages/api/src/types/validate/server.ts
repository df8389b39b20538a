/**
 * @module types/validate/server
 * Validation of node (v2) and session_tracker (v1) documents, which services write through the API.
 */
import type { Server, CommandLabel } from '../server.ts';
import type { SessionTracker, Participant } from '../sessionTracker.ts';
import {
  type Ctx, type Obj, checkKeys, fail, isObj, optBool, optEnum, optString, optStringList, readMap, readString, compact, typeName,
} from './common.ts';
import { readEnvelope } from './metadata.ts';

/** Validates a node document. */
export function validateServer(ctx: Ctx, value: Obj): Server {
  const env = readEnvelope(ctx, value, { kind: 'node', versions: ['v2'], subKinds: ['teleport', 'openssh'] });
  const spec = readMap(ctx, env.spec, ['spec']);
  checkKeys(ctx, spec, ['spec'], ['addr', 'hostname', 'cmd_labels', 'use_tunnel', 'version']);
  const cmd: Record<string, CommandLabel> = {};
  const raw = spec.cmd_labels === undefined ? {} : readMap(ctx, spec.cmd_labels, ['spec', 'cmd_labels']);
  for (const [name, v] of Object.entries(raw)) {
    const path = ['spec', 'cmd_labels', name];
    if (!isObj(v)) fail(ctx, path, `expected a map with command, period and result, got ${typeName(v)}`);
    checkKeys(ctx, v, path, ['command', 'period', 'result']);
    cmd[name] = {
      command: optStringList(ctx, v.command, [...path, 'command']) ?? [],
      period: optString(ctx, v.period, [...path, 'period']) ?? '1m0s',
      result: optString(ctx, v.result, [...path, 'result']) ?? '',
    };
  }
  return {
    kind: 'node',
    ...(env.sub_kind && { sub_kind: env.sub_kind }),
    version: env.version,
    metadata: env.metadata,
    spec: compact({
      addr: optString(ctx, spec.addr, ['spec', 'addr']) ?? '',
      hostname: readString(ctx, spec.hostname, ['spec', 'hostname']),
      cmd_labels: Object.keys(cmd).length ? cmd : undefined,
      use_tunnel: optBool(ctx, spec.use_tunnel, ['spec', 'use_tunnel']),
      version: optString(ctx, spec.version, ['spec', 'version']),
    }),
  };
}

/** Validates a session_tracker document. */
export function validateSessionTracker(ctx: Ctx, value: Obj): SessionTracker {
  const env = readEnvelope(ctx, value, { kind: 'session_tracker', versions: ['v1'] });
  const spec = readMap(ctx, env.spec, ['spec']);
  const keys = ['session_id', 'kind', 'state', 'created', 'target_id', 'hostname', 'address', 'login', 'host_user',
    'cluster_name', 'participants', 'interactive', 'command'];
  checkKeys(ctx, spec, ['spec'], keys);
  const participants: Participant[] = [];
  const list = spec.participants ?? [];
  if (!Array.isArray(list)) fail(ctx, ['spec', 'participants'], `expected a list, got ${typeName(list)}`);
  list.forEach((p: unknown, i: number) => {
    const path = ['spec', 'participants', i];
    if (!isObj(p)) fail(ctx, path, `expected a map with user, mode and joined, got ${typeName(p)}`);
    participants.push({
      user: readString(ctx, p.user, [...path, 'user']),
      mode: optEnum(ctx, p.mode, [...path, 'mode'], ['peer', 'observer'] as const) ?? 'peer',
      joined: optString(ctx, p.joined, [...path, 'joined']) ?? '',
    });
  });
  return {
    kind: 'session_tracker',
    version: env.version,
    metadata: env.metadata,
    spec: compact({
      session_id: readString(ctx, spec.session_id, ['spec', 'session_id']),
      kind: 'ssh' as const,
      state: optEnum(ctx, spec.state, ['spec', 'state'], ['pending', 'running', 'terminated'] as const) ?? 'running',
      created: readString(ctx, spec.created, ['spec', 'created']),
      target_id: readString(ctx, spec.target_id, ['spec', 'target_id']),
      hostname: readString(ctx, spec.hostname, ['spec', 'hostname']),
      address: optString(ctx, spec.address, ['spec', 'address']) ?? '',
      login: readString(ctx, spec.login, ['spec', 'login']),
      host_user: readString(ctx, spec.host_user, ['spec', 'host_user']),
      cluster_name: optString(ctx, spec.cluster_name, ['spec', 'cluster_name']) ?? '',
      participants,
      interactive: optBool(ctx, spec.interactive, ['spec', 'interactive']) ?? false,
      command: optString(ctx, spec.command, ['spec', 'command']),
    }),
  };
}
