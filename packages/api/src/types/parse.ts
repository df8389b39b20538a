/**
 * @module types/parse
 * Reads resource files (`tctl create`): multi-document YAML or JSON (a JSON object, or an array as
 * printed by `tctl get --format=json`). Every document is validated before anything is returned, so
 * callers create all resources or none.
 */
import type { Resource } from './resource.ts';
import { parseYAMLDocuments, type FieldPath, type SourceDocument } from '../yamlSource.ts';
import { BadParameterError } from '../errors.ts';
import { validateResource } from './validation.ts';

/** A view of one element of a top-level list, so errors still point at the right line. */
function elementOf(doc: SourceDocument, index: number, value: unknown): SourceDocument {
  return { value, locate: (path: FieldPath) => doc.locate([index, ...path]) };
}

/** Parses and validates every resource in `text`; throws BadParameterError naming file:line and field. */
export function parseResources(text: string, filename: string): Resource[] {
  const docs: SourceDocument[] = [];
  for (const doc of parseYAMLDocuments(text, filename)) {
    if (Array.isArray(doc.value)) doc.value.forEach((v: unknown, i) => docs.push(elementOf(doc, i, v)));
    else if (doc.value !== null && doc.value !== undefined) docs.push(doc);
  }
  const out: Resource[] = [];
  const seen = new Map<string, string>();
  for (const doc of docs) {
    const resource = validateResource(doc.value, doc);
    const id = `${resource.kind}/${resource.metadata.name}`;
    const where = doc.locate(['metadata', 'name']);
    const first = seen.get(id);
    if (first) throw new BadParameterError(`${where}: ${id} is defined twice (first at ${first})`);
    seen.set(id, where);
    out.push(resource);
  }
  if (out.length === 0) throw new BadParameterError(`${filename}: no resources found`);
  return out;
}
