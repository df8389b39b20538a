/**
 * @module yamlSource
 * YAML parsing that remembers where every value came from, so validation errors can say
 * "role.yaml:12: spec.allow.logins: expected a list of strings". Used for resource files and
 * teleport.yaml alike.
 */
import { LineCounter, parseAllDocuments, isMap, isSeq, isScalar, type Node } from 'yaml';
import { BadParameterError } from './errors.ts';

/** A path into a parsed document: keys and list indexes. */
export type FieldPath = ReadonlyArray<string | number>;

/** One parsed YAML document with source positions. */
export interface SourceDocument {
  /** Plain JS value of the document. */
  value: unknown;
  /** "file:line" of the node at `path`, or of its nearest existing parent. */
  locate(path: FieldPath): string;
}

/** Formats a field path as "spec.allow.logins[0]". */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out;
}

/** Parses every document in `text`; throws BadParameterError naming file:line:col on syntax errors. */
export function parseYAMLDocuments(text: string, filename = '<input>'): SourceDocument[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (!Array.isArray(docs)) return []; // an empty stream parses to an EmptyStream object
  const out: SourceDocument[] = [];
  for (const doc of docs) {
    const first = doc.errors[0];
    if (first) {
      const pos = lineCounter.linePos(first.pos[0]);
      throw new BadParameterError(`${filename}:${pos.line}:${pos.col}: invalid YAML: ${first.message.split('\n')[0]}`);
    }
    if (doc.contents === null) continue; // "---" with nothing after it
    const locate = (path: FieldPath): string => {
      let node: unknown = doc.contents;
      let best = node as Node | null;
      for (const part of path) {
        if (isMap(node)) {
          const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === part);
          node = pair ? (pair.value ?? pair.key) : undefined;
        } else if (isSeq(node) && typeof part === 'number') {
          node = node.items[part];
        } else {
          node = undefined;
        }
        if (!node) break;
        best = node as Node;
      }
      const offset = best?.range?.[0] ?? 0;
      return `${filename}:${lineCounter.linePos(offset).line}`;
    };
    out.push({ value: doc.toJS({ maxAliasCount: 100 }), locate });
  }
  return out;
}

/** Builds the error for an invalid field: "file:line: path: message". */
export function fieldError(doc: SourceDocument | undefined, path: FieldPath, message: string): BadParameterError {
  const where = doc ? `${doc.locate(path)}: ` : '';
  const field = path.length ? `${formatPath(path)}: ` : '';
  return new BadParameterError(`${where}${field}${message}`);
}
