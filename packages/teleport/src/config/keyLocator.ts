/**
 * @module config/keyLocator
 * Finds the line of a key in a YAML file. `parseYAMLDocuments` locates a field by its value, which for a
 * nested map is the line after the key; configuration errors read better when they point at the key
 * itself ("teleport.yaml:7: proxy_service.web_listen_adr: unknown key"), so config files use this.
 */
import { LineCounter, parseAllDocuments, isMap, isSeq, isScalar, type Node } from 'yaml';
import type { FieldPath, SourceDocument } from '@teleport-ts/api/yamlSource';

/**
 * Wraps a parsed document so that `locate(path)` returns "file:line" of the key at `path` (or of the list
 * item, or of the nearest existing parent). `text` must already have parsed cleanly.
 */
export function withKeyLocations(doc: SourceDocument, text: string, filename: string): SourceDocument {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter });
  const first = Array.isArray(parsed) ? parsed.find((d) => d.contents !== null) : undefined;
  const root = (first?.contents ?? null) as Node | null;
  const locate = (path: FieldPath): string => {
    let node: unknown = root;
    let best: Node | null = root;
    for (const part of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : p.key) === String(part));
        if (!pair) break;
        best = (pair.key as Node | null) ?? best;
        node = pair.value;
      } else if (isSeq(node) && typeof part === 'number') {
        node = node.items[part];
        if (!node) break;
        best = node as Node;
      } else {
        break;
      }
    }
    return `${filename}:${lineCounter.linePos(best?.range?.[0] ?? 0).line}`;
  };
  return { value: doc.value, locate };
}
