/**
 * @module srv/db/password
 * Beyond upstream: a database that cannot use certificate authentication may be given a password
 * the database service keeps, from a file (`password_file`) or an environment variable
 * (`password_env`), read once at start. A password file readable by group or others is refused, as
 * ssh refuses a private key anyone can read. The password is never logged, audited or sent to auth.
 */
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import { BadParameterError } from '@teleport-ts/api/errors';

/** Where a database's password comes from. */
export interface PasswordSource {
  /** Database name, for messages. */
  name: string;
  passwordFile?: string;
  passwordEnv?: string;
}

/** Reads the password of a database, or undefined when it has none configured. */
export async function readDatabasePassword(src: PasswordSource, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (src.passwordFile && src.passwordEnv) {
    throw new BadParameterError(`database "${src.name}": set either password_file or password_env, not both`);
  }
  if (src.passwordEnv) {
    const value = env[src.passwordEnv];
    if (value === undefined || value === '') {
      throw new BadParameterError(`database "${src.name}": environment variable ${src.passwordEnv} (password_env) is not set or empty`);
    }
    return value;
  }
  if (!src.passwordFile) return undefined;
  const file = src.passwordFile;
  if (!isAbsolute(file)) throw new BadParameterError(`database "${src.name}": password_file "${file}" must be an absolute path`);
  let mode: number;
  try {
    mode = (await stat(file)).mode;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new BadParameterError(`database "${src.name}": cannot read password_file ${file}: ${code === 'ENOENT' ? 'no such file' : code ?? String(err)}`);
  }
  if ((mode & 0o077) !== 0) {
    throw new BadParameterError(
      `database "${src.name}": password_file ${file} is readable or writable by group or others (mode ${(mode & 0o777).toString(8)}): run chmod 600 ${file}`,
    );
  }
  // One trailing newline (as `echo pw > file` writes) is not part of the password.
  const value = (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  if (value === '') throw new BadParameterError(`database "${src.name}": password_file ${file} is empty`);
  return value;
}
