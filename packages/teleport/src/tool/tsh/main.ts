/**
 * @module tool/tsh/main
 * `tsh`, the user's client: parses arguments and dispatches to the command modules. The binary in
 * bin/tsh.js only calls `runTsh`, so tests drive the real CLI in-process with injected streams,
 * environment and clock. Global flags (`--proxy`, `--user`, `--insecure`, `-i`) are accepted before
 * or after the subcommand, as upstream's are.
 *
 * Command modules are loaded on demand: when the subcommand is plain from argv (see
 * {@link subcommandOf}) only its module is imported, so `tsh proxy ssh`, which OpenSSH starts for
 * every connection through `tsh config`'s ProxyCommand, does not load the auth API client, X.509 or
 * the database code. Help, unknown commands and unusual argument orders register every command, so
 * commander's listing, suggestions and errors are unchanged.
 */
import type { Command } from 'commander';
import type { AuthClient } from '@teleport-ts/api/client/authClient';
import { newProgram, runProgram, processIO, type CLIIO } from '../common/cli.ts';
import { VERSION } from '../../version.ts';
import { protectRemoteCommand, subcommandOf } from './argv.ts';
import { newContext, type TshContext } from './context.ts';

/** Extra knobs for tests. */
export interface TshOptions {
  /** Clock for expiry decisions and "valid for" output. */
  now?: () => Date;
  /** Ends long-running commands (`tsh ssh -N`, observers in `tsh join`) when aborted. */
  signal?: AbortSignal;
}

/** Adds one module's commands to the program. */
type Registrar = (program: Command, ctx: TshContext, getAuthClient: () => Promise<AuthClient>) => void;

/** The command modules, in help order: the top-level names each registers, and how to load it. */
const COMMANDS: ReadonlyArray<{ names: readonly string[]; load: () => Promise<Registrar> }> = [
  { names: ['login'], load: async () => (await import('./login.ts')).registerLoginCommand },
  { names: ['logout'], load: async () => (await import('./logout.ts')).registerLogoutCommand },
  { names: ['status'], load: async () => (await import('./status.ts')).registerStatusCommand },
  { names: ['ls'], load: async () => (await import('./ls.ts')).registerLsCommand },
  { names: ['ssh'], load: async () => (await import('./ssh.ts')).registerSSHCommand },
  { names: ['scp'], load: async () => (await import('./scp.ts')).registerSCPCommand },
  { names: ['config'], load: async () => (await import('./config.ts')).registerConfigCommand },
  { names: ['proxy'], load: async () => (await import('./proxySSH.ts')).registerProxyCommands },
  { names: ['proxy'], load: async () => (await import('./proxyDb.ts')).registerProxyDbCommand },
  { names: ['db'], load: async () => (await import('./db.ts')).registerDbCommands },
  { names: ['sessions', 'join'], load: async () => (await import('./sessions.ts')).registerSessionCommands },
  { names: ['bench'], load: async () => (await import('./bench.ts')).registerBenchCommands },
  {
    names: ['play'],
    load: async () => {
      const { registerPlayCommand } = await import('./play.ts');
      return (program, ctx, getAuthClient) => registerPlayCommand(program, ctx.io, getAuthClient);
    },
  },
  {
    names: ['recordings'],
    load: async () => {
      const { registerRecordingsCommands } = await import('./recordings.ts');
      return (program, ctx, getAuthClient) => registerRecordingsCommands(program, ctx.io, getAuthClient);
    },
  },
];

/** The registrars to load for `argv`: only the named command's when it is known, else all of them. */
function registrarsFor(argv: readonly string[]): Array<() => Promise<Registrar>> {
  const name = subcommandOf(argv);
  const only = name === undefined ? [] : COMMANDS.filter((c) => c.names.includes(name));
  return (only.length || name === 'version' ? only : COMMANDS).map((c) => c.load);
}

/** Runs tsh with `argv` (without the program name); returns the exit code. */
export async function runTsh(argv: string[], io: CLIIO = processIO(), options: TshOptions = {}): Promise<number> {
  const ctx = newContext(io, options.now, options.signal);
  const program = newProgram('tsh', 'Teleport command-line client: log in to a cluster and access its resources.', io)
    .configureHelp({ showGlobalOptions: true })
    .option('--proxy <host:port>', 'Teleport proxy web address (default: TELEPORT_PROXY, then the current profile)')
    .option('--user <name>', 'Teleport user (default: TELEPORT_USER, then the profile\'s user, then the local user)')
    .option('--insecure', 'do not verify the proxy\'s TLS certificate (self-signed test clusters only)')
    .option('-i, --identity <file>', 'identity file (from "tctl auth sign" or "tsh login --out") to use instead of a profile')
    .option('-d, --debug', 'print stack traces on errors')
    .addHelpText('after', [
      '',
      'Environment: TELEPORT_PROXY, TELEPORT_USER, TELEPORT_HOME (client home, default ~/.tsh), TELEPORT_CLUSTER.',
      '',
    ].join('\n'));
  // The auth client of `play` and `recordings`, built only when they run (it loads the auth API client).
  const getAuthClient = async (): Promise<AuthClient> => (await import('./cluster.ts')).authClientGetter(ctx, program)();
  const registrars = await Promise.all(registrarsFor(argv).map((load) => load()));
  for (const register of registrars) register(program, ctx, getAuthClient);
  program.command('version').description('Print the version of tsh.').action(() => {
    io.stdout.write(`Teleport v${VERSION} (tsh, TypeScript implementation) node ${process.version}\n`);
  });
  const debug = argv.includes('-d') || argv.includes('--debug');
  try {
    return await runProgram(program, protectRemoteCommand(argv), io, debug);
  } finally {
    for (const cleanup of ctx.cleanups.splice(0)) cleanup();
  }
}
