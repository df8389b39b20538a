/**
 * @module tool/common/cli
 * Shared plumbing of the three CLIs: injectable I/O (so tests run the real commands in-process),
 * commander setup with `--help` everywhere, and one place that turns errors into "ERROR: ..." lines
 * and exit codes.
 */
import { Command, CommanderError } from 'commander';
import { TeleportError } from '@teleport-ts/api/errors';

/** Streams and environment a command runs with. */
export interface CLIIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream;
  env: Record<string, string | undefined>;
}

/** The real process streams. */
export function processIO(): CLIIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

/** Creates a commander program wired to `io`, throwing instead of exiting. */
export function newProgram(name: string, description: string, io: CLIIO): Command {
  const program = new Command(name);
  program
    .description(description)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
    })
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true);
  return program;
}

/** Applies exitOverride and output settings to every subcommand (commander does not inherit them). */
function configureTree(cmd: Command, io: CLIIO): void {
  for (const sub of cmd.commands) {
    sub.exitOverride().configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
    });
    configureTree(sub, io);
  }
}

/** Runs a program to completion and returns the process exit code. */
export async function runProgram(program: Command, argv: string[], io: CLIIO, debug = false): Promise<number> {
  configureTree(program, io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof ExitError) return err.code;
    const message = err instanceof TeleportError || err instanceof Error ? err.message : String(err);
    io.stderr.write(`ERROR: ${message}\n`);
    if (debug && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

/** Thrown by commands that want a specific exit code without an error message. */
export class ExitError extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Collects repeated or comma-separated option values into a list. */
export function collectList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}
