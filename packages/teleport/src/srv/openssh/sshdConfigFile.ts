/**
 * @module srv/openssh/sshdConfigFile
 * Puts the Teleport Include block into the sshd_config file on disk, safely: the new text is written
 * next to the original (same directory, same mode and owner), the check command runs on that
 * candidate, and only a candidate that passes replaces the original by rename. When the check fails
 * the candidate is removed and the original is left exactly as it was. A symlinked sshd_config is
 * edited where it points.
 */
import { randomUUID } from 'node:crypto';
import { chmod, chown, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BadParameterError } from '@teleport-ts/api/errors';
import { addTeleportInclude } from './sshdConfig.ts';

/** Options of {@link installTeleportInclude}. */
export interface InstallIncludeOptions {
  /** The sshd_config to edit. */
  configPath: string;
  /** Absolute path of the Teleport snippet to include. */
  snippetPath: string;
  /** Validates a candidate file (e.g. `sshd -t -f <path>`); throws to refuse it. */
  check: (candidatePath: string) => Promise<void>;
}

/** Reads the config, with errors that say which flag to fix. */
export async function readSSHDConfig(configPath: string): Promise<string> {
  try {
    return await readFile(configPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new BadParameterError(`sshd config ${configPath} does not exist: pass the right file with --openssh-config`);
    if (code === 'EACCES') throw new BadParameterError(`cannot read sshd config ${configPath}: permission denied (run the command as root)`);
    throw err;
  }
}

/**
 * Adds (or refreshes) the Include block at the top of the sshd_config, after the check passes on
 * the result. Returns whether the file changed; the check runs even when it did not, because the
 * included files may have.
 */
export async function installTeleportInclude(o: InstallIncludeOptions): Promise<{ changed: boolean; path: string }> {
  await readSSHDConfig(o.configPath);
  const path = await realpath(o.configPath);
  const original = await readSSHDConfig(path);
  const edit = addTeleportInclude(original, o.snippetPath, path);
  const st = await stat(path);
  const candidate = join(dirname(path), `.${basename(path)}.teleport-${randomUUID().slice(0, 8)}`);
  try {
    await writeFile(candidate, edit.text, { mode: st.mode & 0o7777 });
    await chmod(candidate, st.mode & 0o7777);
    await chown(candidate, st.uid, st.gid).catch(() => undefined); // not root: the file stays ours
    await o.check(candidate);
    if (edit.changed) {
      // Someone editing the file meanwhile would lose their change: refuse instead.
      if ((await readFile(path, 'utf8')) !== original) {
        throw new BadParameterError(`${path} changed while it was being checked: run the command again`);
      }
      await rename(candidate, path);
    }
  } finally {
    await rm(candidate, { force: true });
  }
  return { changed: edit.changed, path };
}
