/**
 * @module types/validate/metadata
 * The envelope every resource shares: top-level keys, kind/version, and metadata (name, description,
 * labels, expires, revision). Per-kind validators call `readEnvelope` and then check their spec.
 */
import type { Metadata } from '../resource.ts';
import {
  type Ctx, checkKeys, fail, nameProblem, optString, optStringMap, optTime, readMap, readString, typeName,
} from './common.ts';

/** How one kind's envelope is checked. */
export interface EnvelopeRule {
  /** The kind name, e.g. "role". */
  kind: string;
  /** Accepted versions; the first is used when the document has none. */
  versions: readonly string[];
  /** Accepted sub_kind values; absent means sub_kind is not allowed. */
  subKinds?: readonly string[];
  /** For singletons: the one allowed name, filled in when missing. */
  singletonName?: string;
}

/** The checked envelope; `spec` is still unchecked. */
export interface Envelope {
  version: string;
  sub_kind?: string;
  metadata: Metadata;
  spec: unknown;
}

const topLevelKeys = ['kind', 'sub_kind', 'version', 'metadata', 'spec'] as const;
const metadataKeys = ['name', 'description', 'labels', 'expires', 'revision', 'namespace'] as const;
const labelKey = /^[a-zA-Z0-9/._:*-]+$/;

/** Reads metadata; `singletonName` is the fixed name of a singleton kind. */
export function readMetadata(ctx: Ctx, v: unknown, singletonName?: string): Metadata {
  const path = ['metadata'];
  const m = readMap(ctx, v, path, singletonName !== undefined);
  checkKeys(ctx, m, path, metadataKeys);
  let name: string;
  if (singletonName !== undefined) {
    name = m.name === undefined || m.name === null ? singletonName : readString(ctx, m.name, [...path, 'name']);
    if (name !== singletonName) fail(ctx, [...path, 'name'], `must be "${singletonName}" (there is only one of this kind)`);
  } else {
    if (m.name === undefined || m.name === null) fail(ctx, path, 'name is required');
    name = readString(ctx, m.name, [...path, 'name']);
    const problem = nameProblem(name);
    if (problem) fail(ctx, [...path, 'name'], problem);
  }
  if (m.namespace !== undefined && m.namespace !== 'default') {
    fail(ctx, [...path, 'namespace'], `only the "default" namespace exists, got ${typeName(m.namespace)}`);
  }
  const out: Metadata = { name };
  const description = optString(ctx, m.description, [...path, 'description']);
  if (description) out.description = description;
  const labels = optStringMap(ctx, m.labels, [...path, 'labels']);
  if (labels) {
    for (const k of Object.keys(labels)) {
      if (!labelKey.test(k)) fail(ctx, [...path, 'labels', k], `invalid label name "${k}": use letters, digits and / . _ : * -`);
    }
    if (Object.keys(labels).length) out.labels = labels;
  }
  const expires = optTime(ctx, m.expires, [...path, 'expires']);
  if (expires) out.expires = expires;
  const revision = optString(ctx, m.revision, [...path, 'revision']);
  if (revision) out.revision = revision;
  return out;
}

/** Checks top-level keys, version, sub_kind and metadata of a resource whose kind is already known. */
export function readEnvelope(ctx: Ctx, value: Record<string, unknown>, rule: EnvelopeRule): Envelope {
  checkKeys(ctx, value, [], topLevelKeys);
  let version = rule.versions[0] as string;
  if (value.version !== undefined && value.version !== null) {
    if (typeof value.version !== 'string' || !rule.versions.includes(value.version)) {
      const got = typeof value.version === 'string' ? `"${value.version}"` : typeName(value.version);
      fail(ctx, ['version'], `${rule.kind} supports version ${rule.versions.join(', ')}, got ${got}`);
    }
    version = value.version;
  }
  const out: Envelope = { version, metadata: readMetadata(ctx, value.metadata, rule.singletonName), spec: value.spec };
  if (value.sub_kind !== undefined && value.sub_kind !== null && value.sub_kind !== '') {
    if (!rule.subKinds) fail(ctx, ['sub_kind'], `${rule.kind} has no sub kinds`);
    if (typeof value.sub_kind !== 'string' || !rule.subKinds.includes(value.sub_kind)) {
      fail(ctx, ['sub_kind'], `expected one of ${rule.subKinds.map((s) => `"${s}"`).join(', ')}, got ${JSON.stringify(value.sub_kind)}`);
    }
    out.sub_kind = value.sub_kind;
  }
  return out;
}
