/**
 * @module types/format
 * Prints resources the way `tctl get` does: YAML documents separated by `---`, or a JSON array.
 * Keys are ordered kind, sub_kind, version, metadata, spec so output reads like upstream's docs.
 */
import { stringify } from 'yaml';
import type { Resource } from './resource.ts';

const topOrder = ['kind', 'sub_kind', 'version', 'metadata', 'spec'];
const metadataOrder = ['name', 'description', 'labels', 'expires', 'revision'];

function ordered(obj: Record<string, unknown>, order: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of order) if (obj[k] !== undefined) out[k] = obj[k];
  for (const [k, v] of Object.entries(obj)) if (!(k in out) && v !== undefined) out[k] = v;
  return out;
}

/** The resource's top level and metadata in upstream's key order; deeper values are shared, not copied. */
function orderedTop(r: Resource): Record<string, unknown> {
  const top = ordered(r as unknown as Record<string, unknown>, topOrder);
  top.metadata = ordered(r.metadata as unknown as Record<string, unknown>, metadataOrder);
  return top;
}

/** Returns a plain object with upstream's key order (no undefined values). */
export function canonicalResource(r: Resource): Record<string, unknown> {
  return JSON.parse(JSON.stringify(orderedTop(r))) as Record<string, unknown>;
}

/** Formats resources as YAML documents separated by "---". */
export function formatResourcesYAML(resources: readonly Resource[]): string {
  return resources
    .map((r) => stringify(canonicalResource(r), { lineWidth: 0, aliasDuplicateObjects: false, singleQuote: true, indentSeq: false }))
    .join('---\n');
}

/** Formats resources as a JSON array (4-space indent, as tctl prints it). */
export function formatResourcesJSON(resources: readonly Resource[]): string {
  // JSON.stringify drops undefined values itself, so the text equals that of canonicalResource's
  // plain copies without making them (a `tsh ls` over 10k nodes copied every node twice).
  return `${JSON.stringify(resources.map(orderedTop), null, 4)}\n`;
}
