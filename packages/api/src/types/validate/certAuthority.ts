/**
 * @module types/validate/certAuthority
 * Validation of certificate authorities (v2). metadata.name is the cluster name and must match
 * spec.cluster_name; keys are PEM / authorized_keys text and are not parsed here.
 */
import { CATypes, type CAKeySet, type CertAuthority, type Rotation } from '../certAuthority.ts';
import type { FieldPath } from '../../yamlSource.ts';
import {
  type Ctx, type Obj, checkKeys, compact, fail, optDuration, optEnum, optString, optTime, readMap, readString, typeName,
} from './common.ts';
import { readEnvelope } from './metadata.ts';

function readList(ctx: Ctx, v: unknown, path: FieldPath): unknown[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) fail(ctx, path, `expected a list, got ${typeName(v)}`);
  return v;
}

function readKeySet(ctx: Ctx, v: unknown, path: FieldPath): CAKeySet | undefined {
  if (v === undefined || v === null) return undefined;
  const m = readMap(ctx, v, path);
  checkKeys(ctx, m, path, ['ssh', 'tls']);
  const ssh = readList(ctx, m.ssh, [...path, 'ssh'])?.map((raw, i) => {
    const at = [...path, 'ssh', i];
    const k = readMap(ctx, raw, at);
    checkKeys(ctx, k, at, ['public_key', 'private_key', 'private_key_type']);
    return compact({
      public_key: readString(ctx, k.public_key, [...at, 'public_key']),
      private_key: optString(ctx, k.private_key, [...at, 'private_key']) || undefined,
      private_key_type: optEnum(ctx, k.private_key_type, [...at, 'private_key_type'], ['raw'] as const),
    });
  });
  const tls = readList(ctx, m.tls, [...path, 'tls'])?.map((raw, i) => {
    const at = [...path, 'tls', i];
    const k = readMap(ctx, raw, at);
    checkKeys(ctx, k, at, ['cert', 'key', 'key_type']);
    return compact({
      cert: readString(ctx, k.cert, [...at, 'cert']),
      key: optString(ctx, k.key, [...at, 'key']) || undefined,
      key_type: optEnum(ctx, k.key_type, [...at, 'key_type'], ['raw'] as const),
    });
  });
  return compact({ ssh, tls });
}

function readRotation(ctx: Ctx, v: unknown, path: FieldPath): Rotation | undefined {
  if (v === undefined || v === null) return undefined;
  const m = readMap(ctx, v, path);
  checkKeys(ctx, m, path, ['state', 'phase', 'mode', 'current_id', 'started', 'grace_period']);
  return compact({
    state: optEnum(ctx, m.state, [...path, 'state'], ['standby', 'in_progress'] as const),
    phase: optEnum(ctx, m.phase, [...path, 'phase'], ['standby', 'init', 'update_clients', 'update_servers', 'rollback'] as const),
    mode: optEnum(ctx, m.mode, [...path, 'mode'], ['manual', 'auto'] as const),
    current_id: optString(ctx, m.current_id, [...path, 'current_id']),
    started: optTime(ctx, m.started, [...path, 'started']),
    grace_period: optDuration(ctx, m.grace_period, [...path, 'grace_period'])?.text,
  });
}

/** Validates a cert_authority document (kind already known). */
export function validateCertAuthority(ctx: Ctx, value: Obj): CertAuthority {
  const env = readEnvelope(ctx, value, { kind: 'cert_authority', versions: ['v2'], subKinds: CATypes });
  const path = ['spec'];
  const spec = readMap(ctx, env.spec, path);
  checkKeys(ctx, spec, path, ['type', 'cluster_name', 'active_keys', 'additional_trusted_keys', 'rotation']);
  if (spec.type === undefined) fail(ctx, [...path, 'type'], `required; one of ${CATypes.join(', ')}`);
  const type = optEnum(ctx, spec.type, [...path, 'type'], CATypes) as CertAuthority['spec']['type'];
  if (env.sub_kind && env.sub_kind !== type) fail(ctx, ['sub_kind'], `must match spec.type "${type}"`);
  const clusterName = readString(ctx, spec.cluster_name, [...path, 'cluster_name']);
  if (clusterName !== env.metadata.name) {
    fail(ctx, ['metadata', 'name'], `must equal spec.cluster_name "${clusterName}"`);
  }
  const out: CertAuthority = {
    kind: 'cert_authority',
    version: env.version,
    metadata: env.metadata,
    spec: compact({
      type,
      cluster_name: clusterName,
      active_keys: readKeySet(ctx, spec.active_keys, [...path, 'active_keys']) ?? {},
      additional_trusted_keys: readKeySet(ctx, spec.additional_trusted_keys, [...path, 'additional_trusted_keys']),
      rotation: readRotation(ctx, spec.rotation, [...path, 'rotation']),
    }),
  };
  if (env.sub_kind) out.sub_kind = env.sub_kind;
  return out;
}
