/**
 * @module srv/openssh/sshdConfig
 * The text `teleport join openssh` puts into an OpenSSH server's configuration, as pure functions
 * (string in, string out): the Teleport-managed snippet (TrustedUserCAKeys, HostKey,
 * HostCertificate) and the marked `Include` block at the top of sshd_config that loads it.
 *
 * The block goes first because for most keywords sshd keeps the first value it reads; Debian's
 * own `Include /etc/ssh/sshd_config.d/*.conf` comes after it. The block is delimited by marker
 * comments, so running the command again replaces it instead of adding a second one, and it can be
 * removed by hand (or with {@link removeTeleportInclude}) without touching anything else.
 * Also here: splitting the check and restart command templates into argv (no shell is involved).
 */
import { isAbsolute } from 'node:path';
import { BadParameterError } from '@teleport-ts/api/errors';

/** First line of the block Teleport manages in sshd_config. */
export const BLOCK_BEGIN = '# BEGIN teleport join openssh: managed by Teleport, do not edit this block';
/** Last line of the block Teleport manages in sshd_config. */
export const BLOCK_END = '# END teleport join openssh';

/** Absolute paths of the files the snippet points sshd at. */
export interface SnippetPaths {
  /** Private host key (OpenSSH format, mode 0600). */
  hostKey: string;
  /** Host certificate issued by the cluster's host CA. */
  hostCert: string;
  /** The cluster's user CA public keys, one per line. */
  userCA: string;
  /**
   * Host keys sshd loads today (`sshd -T`), listed before Teleport's: naming any HostKey stops sshd
   * from loading its default keys, and for each key type sshd presents the first key listed, so
   * clients that connect directly keep seeing the keys they know.
   */
  keepHostKeys?: string[];
}

/**
 * Quotes a path for sshd_config: sshd splits arguments on whitespace and treats a word starting
 * with `#` as a comment, so such paths are double-quoted. Characters sshd would read as escapes or
 * that end the line are refused rather than escaped.
 */
export function quoteSSHDArg(value: string, what: string): string {
  if (!isAbsolute(value)) throw new BadParameterError(`${what} "${value}" must be an absolute path (sshd resolves relative paths against /etc/ssh)`);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must be refused
  if (/["\\\x00-\x1f\x7f]/.test(value)) {
    throw new BadParameterError(`${what} "${value}" contains a quote, backslash or control character that sshd_config cannot hold: choose another --data-dir`);
  }
  return /[\s#']/.test(value) ? `"${value}"` : value;
}

/** The snippet sshd includes: trust the cluster's user CA and present the cluster-signed host key. */
export function renderSnippet(p: SnippetPaths): string {
  const keep = [...new Set(p.keepHostKeys ?? [])].filter((k) => k !== p.hostKey);
  return [
    '# Written by `teleport join openssh`; the command rewrites this file every time it runs.',
    '# sshd_config includes it first, so these values win over later ones.',
    `TrustedUserCAKeys ${quoteSSHDArg(p.userCA, 'user CA file')}`,
    ...(keep.length > 0 ? ['# The host keys sshd used before, first: clients that connect directly still see them.'] : []),
    ...keep.map((k) => `HostKey ${quoteSSHDArg(k, 'existing host key')}`),
    `HostKey ${quoteSSHDArg(p.hostKey, 'host key file')}`,
    `HostCertificate ${quoteSSHDArg(p.hostCert, 'host certificate file')}`,
    '',
  ].join('\n');
}

/** The marked block that includes the snippet. */
export function includeBlock(snippetPath: string): string[] {
  return [BLOCK_BEGIN, `Include ${quoteSSHDArg(snippetPath, 'sshd config snippet')}`, BLOCK_END];
}

/** The result of editing a configuration text. */
export interface ConfigEdit {
  text: string;
  /** False when the text is exactly what it was. */
  changed: boolean;
}

/** Splits keeping the file's line ending (CRLF if it has any). */
function splitLines(text: string): { lines: string[]; eol: string } {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  return { lines: text.split(eol), eol };
}

/** Lines without any Teleport block; throws when a block is not closed. */
function withoutBlocks(lines: string[], source: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if ((lines[i] ?? '').trim() !== BLOCK_BEGIN) {
      out.push(lines[i] as string);
      continue;
    }
    const end = lines.findIndex((l, j) => j > i && l.trim() === BLOCK_END);
    if (end < 0) {
      throw new BadParameterError(
        `${source} has the line "${BLOCK_BEGIN}" (line ${i + 1}) but not the matching "${BLOCK_END}": remove the Teleport lines from it by hand and run the command again`,
      );
    }
    i = end;
  }
  return out;
}

/**
 * Puts the Include block for `snippetPath` at the top of an sshd_config text, replacing any block
 * an earlier run left (wherever it is). Running it on its own output changes nothing.
 */
export function addTeleportInclude(config: string, snippetPath: string, source = 'the sshd config'): ConfigEdit {
  const { lines, eol } = splitLines(config);
  const rest = withoutBlocks(lines, source);
  const text = [...includeBlock(snippetPath), ...(config === '' ? [''] : rest)].join(eol);
  return { text, changed: text !== config };
}

/** Removes the Include block (for undoing `teleport join openssh`). */
export function removeTeleportInclude(config: string, source = 'the sshd config'): ConfigEdit {
  const { lines, eol } = splitLines(config);
  const text = withoutBlocks(lines, source).join(eol);
  return { text, changed: text !== config };
}

/**
 * Splits a command template into argv the way a shell would split words (whitespace, '...' and
 * "..." quoting, backslash escapes outside single quotes), then replaces `%s` in each word with
 * `subject` when given. No shell runs the result, so pipes and variables have no meaning.
 */
export function splitCommand(template: string, subject?: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < template.length; i++) {
    const ch = template[i] as string;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < template.length) cur += template[++i];
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < template.length) {
      cur += template[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw new BadParameterError(`command "${template}" has an unclosed ${quote} quote`);
  if (inWord) words.push(cur);
  if (words.length === 0) throw new BadParameterError('the command is empty');
  return subject === undefined ? words : words.map((w) => w.replaceAll('%s', subject));
}
