/**
 * @module yamlLines
 * Line arithmetic for the role editor: line count and the character range of a 1-based line,
 * to select the line a validation error points at.
 */

/** Number of lines in `text` (an empty text has one line). */
export function lineCount(text: string): number {
  let n = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/** [start, end) offsets of 1-based `line` (clamped to the text), excluding its newline. */
export function lineRange(text: string, line: number): [number, number] {
  const target = Math.max(1, Math.min(line, lineCount(text)));
  let start = 0;
  for (let l = 1; l < target; l++) start = text.indexOf('\n', start) + 1;
  const nl = text.indexOf('\n', start);
  return [start, nl < 0 ? text.length : nl];
}

/** A template for a new role. */
export function roleTemplate(name: string): string {
  return [
    'kind: role',
    'version: v7',
    'metadata:',
    `  name: ${name || 'new-role'}`,
    'spec:',
    '  allow:',
    '    logins: []',
    '    node_labels:',
    "      '*': '*'",
    '  deny: {}',
    '',
  ].join('\n');
}
