/**
 * @module srv/openssh/commands
 * Runs the operator's sshd check and restart commands (templates split by splitCommand, no shell),
 * with a time limit, collecting what they print so a failure can be shown to the person.
 */
import { spawn } from 'node:child_process';
import { BadParameterError } from '@teleport-ts/api/errors';
import { splitCommand } from './sshdConfig.ts';

/** Default check command: sshd's own test mode on the candidate file. */
export const DEFAULT_CHECK_COMMAND = '/usr/sbin/sshd -t -f %s';
/** Default restart command (systemd hosts). */
export const DEFAULT_RESTART_COMMAND = 'systemctl restart sshd';

/** How a command ended. */
export interface CommandResult {
  /** Exit code, or null when it was killed or could not start. */
  code: number | null;
  /** stdout and stderr interleaved, as printed. */
  output: string;
  /** Why it could not start (e.g. ENOENT), if so. */
  spawnError?: string;
}

/** Runs argv (no shell), killing it after `timeoutMs`. */
export function runCommand(argv: string[], timeoutMs = 60_000): Promise<CommandResult> {
  const [cmd, ...args] = argv;
  if (!cmd) return Promise.resolve({ code: null, output: '', spawnError: 'empty command' });
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let spawnError: string | undefined;
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', (err) => (spawnError = err.message));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ...(spawnError !== undefined && { spawnError }) });
    });
  });
}

/** Describes a failed command for an error message. */
function failure(argv: string[], r: CommandResult): string {
  if (r.spawnError) return `could not run "${argv.join(' ')}": ${r.spawnError}`;
  const out = r.output.trim();
  return `"${argv.join(' ')}" ${r.code === null ? 'was killed' : `exited with ${r.code}`}${out ? `:\n${out}` : ''}`;
}

/**
 * Runs the check command on `configPath` (`%s` in the template). Throws BadParameterError naming
 * `label` with the command's output when it fails; a template without `%s` is refused, since it would not check
 * the new file.
 */
export async function checkSSHDConfig(template: string, configPath: string, label = 'the new sshd configuration'): Promise<void> {
  if (!template.includes('%s')) {
    throw new BadParameterError(`--sshd-check-command "${template}" has no %s for the config file to check: use e.g. "${DEFAULT_CHECK_COMMAND}"`);
  }
  const argv = splitCommand(template, configPath);
  const r = await runCommand(argv);
  if (r.code !== 0) throw new BadParameterError(`${label} does not pass the check: ${failure(argv, r)}`);
}

/**
 * The host keys sshd loads with `configPath` (`sshd -T`, its effective configuration), or
 * undefined when that cannot be read (no sshd at `sshdPath`, or it refuses the file).
 */
export async function effectiveHostKeys(configPath: string, sshdPath = '/usr/sbin/sshd'): Promise<string[] | undefined> {
  const r = await runCommand([sshdPath, '-T', '-f', configPath]);
  if (r.code !== 0) return undefined;
  return [...r.output.matchAll(/^hostkey (.+)$/gm)].map((m) => (m[1] as string).trim());
}

/** The sshd binary a check command runs, when it runs one directly (so `sshd -T` uses the same). */
export function sshdOfCheckCommand(template: string): string | undefined {
  const bin = splitCommand(template)[0];
  return bin !== undefined && /(^|\/)sshd$/.test(bin) ? bin : undefined;
}

/** Runs the restart command; BadParameterError with its output when it fails. */
export async function restartSSHD(template: string): Promise<void> {
  const argv = splitCommand(template);
  const r = await runCommand(argv);
  if (r.code !== 0) {
    throw new BadParameterError(`restarting sshd failed: ${failure(argv, r)}\nThe configuration is in place; restart sshd yourself, or fix --restart-command and run the command again`);
  }
}
