/**
 * @module integration/helpers/cli
 * Runs the real CLIs (`tctl`, `tsh`, `teleport`) in-process with captured output, piped standard
 * input and an explicit environment, the way a user's shell would drive them.
 */
import { PassThrough, Readable } from 'node:stream';
import type { CLIIO } from '../../packages/teleport/src/tool/common/cli.ts';

/** What one CLI run printed and returned. */
export interface CLIResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Standard input and environment for one run. */
export interface RunOptions {
  /** Piped to the command's stdin (then EOF). */
  stdin?: string;
  /** The command's whole environment (nothing is inherited from the test process). */
  env?: Record<string, string | undefined>;
}

/** A CLI entry point: `runTctl`, `runTsh` or `runTeleport`. */
export type CLIMain = (argv: string[], io: CLIIO) => Promise<number>;

/** Runs `main(argv)` with captured stdout/stderr. */
export async function runCLI(main: CLIMain, argv: string[], opts: RunOptions = {}): Promise<CLIResult> {
  const out = new PassThrough();
  const err = new PassThrough();
  const result: CLIResult = { code: -1, stdout: '', stderr: '' };
  out.on('data', (c: Buffer) => (result.stdout += c.toString('utf8')));
  err.on('data', (c: Buffer) => (result.stderr += c.toString('utf8')));
  const stdin = Readable.from(opts.stdin ? [opts.stdin] : []);
  result.code = await main(argv, { stdout: out, stderr: err, stdin, env: opts.env ?? {} });
  return result;
}

/** Formats a result for assertion messages. */
export function describeResult(r: CLIResult): string {
  return `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}
