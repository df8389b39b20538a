/**
 * @module integration/helpers/tools
 * Runs real third-party tools (ssh-keygen, openssl) on what the cluster issued, so the formats are
 * checked by the programs users feed them to, not only by our own parsers.
 */
import { spawnSync } from 'node:child_process';
import type { CLIResult } from './cli.ts';

/** True when `name` can be executed (tests that need it are skipped otherwise). */
export function hasTool(name: string): boolean {
  return !spawnSync(name, ['-?'], { stdio: 'ignore' }).error;
}

/** Runs a command to completion (UTC, so printed times are stable). */
export function runTool(cmd: string, args: string[]): CLIResult {
  const r = spawnSync(cmd, args, { env: { ...process.env, TZ: 'UTC' }, encoding: 'utf8', timeout: 20_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
