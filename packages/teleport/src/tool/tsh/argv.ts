/**
 * @module tool/tsh/argv
 * Reading tsh's argument vector before commander does, without loading any command module: which
 * subcommand runs (so main.ts loads only that command's code, keeping `tsh proxy ssh`, which every
 * OpenSSH ProxyCommand connection starts, quick), and the "--" that keeps a remote command's
 * options away from commander (`tsh ssh node ls -l`).
 */

/** Options of tsh and `tsh ssh` that take a value (for {@link protectRemoteCommand}). */
const VALUE_OPTIONS = new Set(['--proxy', '--user', '-i', '--identity', '-l', '--login', '-p', '--port', '-L', '--local-forward',
  '-R', '--remote-forward', '-D', '--dynamic-forward', '--cluster']);

/** tsh's global options that take a value, in the separate-argument form (`--proxy addr`). */
const GLOBAL_VALUE_OPTIONS = new Set(['--proxy', '--user', '-i', '--identity']);
/** tsh's global options that take none, and the `=value` forms of the others. */
const GLOBAL_FLAG = /^(--insecure|-d|--debug|--(proxy|user|identity)=.*|-i.+)$/;

/**
 * The subcommand `argv` runs: its first word when only tsh's global options (spelled exactly as
 * tsh defines them) come before it; undefined otherwise (no subcommand, `--help`, an unknown or
 * combined option), where the caller must register every command and let commander decide.
 */
export function subcommandOf(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('-')) return a;
    if (GLOBAL_VALUE_OPTIONS.has(a)) i++;
    else if (!GLOBAL_FLAG.test(a)) return undefined;
  }
  return undefined;
}

/**
 * Commander would read options inside the remote command (`tsh ssh node ls -l`) as tsh's: insert
 * "--" after the destination so everything after it is the command, as with OpenSSH.
 */
export function protectRemoteCommand(argv: string[]): string[] {
  const consumesNext = (a: string): boolean => {
    if (a.startsWith('--')) return VALUE_OPTIONS.has(a);
    // A cluster of short flags ("-At", "-NL"): a letter that takes a value takes the rest of the
    // token, or the next argument when it is the last letter.
    for (let j = 1; j < a.length; j++) if (VALUE_OPTIONS.has(`-${a[j]}`)) return j === a.length - 1;
    return false;
  };
  let i = 0;
  for (; i < argv.length && argv[i] !== 'ssh'; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('-')) return argv; // another subcommand
    if (consumesNext(a)) i++;
  }
  for (i++; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') return argv;
    if (!a.startsWith('-') || a === '-') return [...argv.slice(0, i + 1), '--', ...argv.slice(i + 1)];
    if (consumesNext(a)) i++;
  }
  return argv;
}
