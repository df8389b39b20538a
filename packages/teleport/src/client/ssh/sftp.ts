/**
 * @module client/ssh/sftp
 * `tsh scp` transfers over the node's SFTP subsystem, with scp's rules: one source onto a path that
 * is an existing directory lands inside it, otherwise it takes that name; several sources need a
 * directory; directories need `recursive`. File modes are carried over. Progress is reported per
 * file through a callback, so the CLI decides whether to draw a bar.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, readdir, stat } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { Client, SFTPWrapper, Stats } from 'ssh2';
import { AccessDeniedError, BadParameterError, ConnectionProblemError, NotFoundError } from '@teleport-ts/api/errors';

/** Reports bytes copied so far of one file. */
export type ProgressFn = (file: string, transferred: number, total: number) => void;

/** Options of a transfer. */
export interface TransferOptions {
  recursive: boolean;
  onProgress?: ProgressFn;
  /** Called when a file is complete. */
  onFileDone?: (file: string, size: number) => void;
}

/** Starts the SFTP subsystem on a connected node. */
export function openSFTP(conn: Client): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => {
    conn.sftp((err, sftp) => {
      if (err) reject(new ConnectionProblemError(`the node refused SFTP (file copy may be disabled by your roles): ${err.message}`, { cause: err }));
      else resolve(sftp);
    });
  });
}

/** Maps an SFTP status error to one of ours, naming the remote path. */
function sftpError(err: Error & { code?: number }, path: string): Error {
  if (err.code === 2) return new NotFoundError(`${path}: no such file or directory on the node`, { cause: err });
  if (err.code === 3) return new AccessDeniedError(`${path}: permission denied on the node`, { cause: err });
  return new ConnectionProblemError(`${path}: ${err.message}`, { cause: err });
}

function remoteStat(sftp: SFTPWrapper, path: string): Promise<Stats | undefined> {
  return new Promise((resolve, reject) => {
    sftp.stat(path, (err, st) => {
      if (!err) resolve(st);
      else if ((err as Error & { code?: number }).code === 2) resolve(undefined);
      else reject(sftpError(err, path));
    });
  });
}

function remoteMkdir(sftp: SFTPWrapper, path: string, mode: number): Promise<void> {
  return new Promise((resolve, reject) => {
    sftp.mkdir(path, { mode }, (err) => {
      if (!err) return resolve();
      void remoteStat(sftp, path).then((st) => (st?.isDirectory() ? resolve() : reject(sftpError(err, path))), reject);
    });
  });
}

function remoteReaddir(sftp: SFTPWrapper, path: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    sftp.readdir(path, (err, list) => (err ? reject(sftpError(err, path)) : resolve(list.map((e) => e.filename).filter((n) => n !== '.' && n !== '..').sort())));
  });
}

/** Counts bytes through a stream for progress reports. */
function counter(name: string, total: number, onProgress?: ProgressFn): Transform {
  let done = 0;
  onProgress?.(name, 0, total);
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length;
      onProgress?.(name, done, total);
      cb(null, chunk);
    },
  });
}

async function putFile(sftp: SFTPWrapper, local: string, remote: string, mode: number, size: number, opts: TransferOptions): Promise<void> {
  const out = sftp.createWriteStream(remote, { mode });
  try {
    await pipeline(createReadStream(local), counter(basename(local), size, opts.onProgress), out);
  } catch (err) {
    throw sftpError(err as Error, remote);
  }
  // createWriteStream's mode applies only to new files; scp sets it on existing ones too.
  await new Promise<void>((resolve) => sftp.chmod(remote, mode, () => resolve()));
  opts.onFileDone?.(basename(local), size);
}

async function putTree(sftp: SFTPWrapper, local: string, remote: string, opts: TransferOptions): Promise<void> {
  const st = await stat(local).catch((err: unknown) => {
    throw new NotFoundError(`${local}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  });
  if (st.isDirectory()) {
    if (!opts.recursive) throw new BadParameterError(`${local} is a directory: use -r to copy directories`);
    await remoteMkdir(sftp, remote, st.mode & 0o777);
    for (const entry of (await readdir(local)).sort()) await putTree(sftp, join(local, entry), posix.join(remote, entry), opts);
    return;
  }
  await putFile(sftp, local, remote, st.mode & 0o777, st.size, opts);
}

/** Copies local `sources` to `dest` on the node ("" means the login's home directory). */
export async function uploadFiles(sftp: SFTPWrapper, sources: string[], dest: string, opts: TransferOptions): Promise<void> {
  const target = dest === '' ? '.' : dest;
  const destIsDir = (await remoteStat(sftp, target))?.isDirectory() ?? false;
  if (sources.length > 1 && !destIsDir) throw new BadParameterError(`${target} is not a directory on the node: copying several files needs one`);
  for (const src of sources) {
    await putTree(sftp, src, destIsDir ? posix.join(target, basename(src)) : target, opts);
  }
}

async function getFile(sftp: SFTPWrapper, remote: string, local: string, st: Stats, opts: TransferOptions): Promise<void> {
  const name = posix.basename(remote);
  try {
    await pipeline(sftp.createReadStream(remote), counter(name, st.size, opts.onProgress), createWriteStream(local, { mode: st.mode & 0o777 }));
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { code?: number | string };
    if (typeof e.code === 'string') throw new AccessDeniedError(`${local}: ${e.message}`, { cause: err });
    throw sftpError(e as Error & { code?: number }, remote);
  }
  await chmod(local, st.mode & 0o777);
  opts.onFileDone?.(name, st.size);
}

async function getTree(sftp: SFTPWrapper, remote: string, local: string, opts: TransferOptions): Promise<void> {
  const st = await remoteStat(sftp, remote);
  if (!st) throw new NotFoundError(`${remote}: no such file or directory on the node`);
  if (st.isDirectory()) {
    if (!opts.recursive) throw new BadParameterError(`${remote} is a directory: use -r to copy directories`);
    await mkdir(local, { recursive: true, mode: st.mode & 0o777 });
    for (const entry of await remoteReaddir(sftp, remote)) await getTree(sftp, posix.join(remote, entry), join(local, entry), opts);
    return;
  }
  await getFile(sftp, remote, local, st, opts);
}

/** Copies `sources` on the node to the local `dest`. */
export async function downloadFiles(sftp: SFTPWrapper, sources: string[], dest: string, opts: TransferOptions): Promise<void> {
  const destIsDir = (await stat(dest).catch(() => undefined))?.isDirectory() ?? false;
  if (sources.length > 1 && !destIsDir) throw new BadParameterError(`${dest} is not a directory: copying several files needs one`);
  for (const src of sources) {
    const remote = src === '' ? '.' : src;
    await getTree(sftp, remote, destIsDir ? join(dest, posix.basename(remote)) : dest, opts);
  }
}
