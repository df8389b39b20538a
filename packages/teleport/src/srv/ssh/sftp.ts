/**
 * @module srv/ssh/sftp
 * The `sftp` subsystem (used by `sftp` and by modern OpenSSH `scp`): OpenSSH's own sftp-server runs
 * as the OS user, in their home directory, with the channel as its stdin/stdout, so every file
 * operation happens with that user's permissions and ownership. sftp-server logs each file it
 * closes to stderr (`-e -l INFO`); those lines become audit events: `scp` upload (T3005I) when
 * bytes were written, download (T3004I) when read.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { ServerChannel } from 'ssh2';
import { EventCodes, EventTypes } from '@teleport-ts/api/events/codes';
import { connFields, type ConnContext } from './context.ts';
import { failChannel, finishChannel, spawnPiped, type PipedProcess } from './exec.ts';

/** Where distributions install sftp-server; the first that exists is the default. */
export const SFTP_SERVER_PATHS = ['/usr/lib/openssh/sftp-server', '/usr/libexec/openssh/sftp-server', '/usr/libexec/sftp-server', '/usr/lib/ssh/sftp-server'];

/** The default sftp-server path on this host. */
export function defaultSftpServerPath(): string {
  return SFTP_SERVER_PATHS.find((p) => existsSync(p)) ?? (SFTP_SERVER_PATHS[0] as string);
}

/** A file transfer parsed from sftp-server's `close "<path>" bytes read N written M` log line. */
export interface SftpTransfer {
  path: string;
  read: number;
  written: number;
}

/** Parses one sftp-server log line; undefined for lines that are not a file close. */
export function parseSftpLogLine(line: string): SftpTransfer | undefined {
  const m = /close "(.*)" bytes read (\d+) written (\d+)\s*$/.exec(line);
  if (!m) return undefined;
  return { path: m[1] ?? '', read: Number(m[2]), written: Number(m[3]) };
}

/**
 * Runs sftp-server for the connection's user on an accepted subsystem channel. Audits the
 * subsystem (T3001I, or T3001E when it cannot run) and each transfer.
 */
export function runSftp(c: ConnContext, channel: ServerChannel, env: Record<string, string>): void {
  const node = c.node;
  const audit = (error?: string): void => node.auditor.emit({
    event: EventTypes.subsystem, code: error ? EventCodes.subsystemFailure : EventCodes.subsystem, ...connFields(c), name: 'sftp',
    ...(error && { exitError: error }),
  });
  if (!existsSync(node.sftpServerPath)) {
    const msg = `sftp is not available on ${node.nodeName}: ${node.sftpServerPath} is missing (install openssh-sftp-server)`;
    audit(msg);
    failChannel(channel, `teleport: ${msg}`, 127);
    return;
  }
  let proc: PipedProcess;
  try {
    proc = spawnPiped(c.user.osUser, [node.sftpServerPath, '-e', '-l', 'INFO'], env);
  } catch (err) {
    const msg = `cannot start sftp-server: ${(err as Error).message}`;
    audit(msg);
    failChannel(channel, `teleport: ${msg}`);
    return;
  }
  audit();
  // sftp-server's stderr is its log, not output for the client.
  const lines = createInterface({ input: proc.child.stderr });
  lines.on('line', (line) => {
    const t = parseSftpLogLine(line);
    if (!t || (t.read === 0 && t.written === 0)) return;
    const upload = t.written > 0;
    node.auditor.emit({
      event: EventTypes.scp, code: upload ? EventCodes.scpUpload : EventCodes.scpDownload, ...connFields(c),
      path: path.posix.resolve(c.user.osUser.home, t.path), action: upload ? 'upload' : 'download', bytes: upload ? t.written : t.read, subsystem: 'sftp',
    });
  });
  const { child } = proc;
  child.stdin.on('error', () => undefined);
  channel.pipe(child.stdin);
  child.stdout.pipe(channel, { end: false });
  void proc.done.then((exit) => {
    finishChannel(channel, exit);
    if (exit.error) c.logger.warn({ err: exit.error.message }, 'sftp-server failed');
  });
  channel.once('close', () => proc.kill('TERM'));
}
