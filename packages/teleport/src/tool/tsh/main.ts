/**
 * @module tool/tsh/main
 * `tsh`, the user's client: parses arguments and dispatches to the command modules. The binary in
 * bin/tsh.js only calls `runTsh`, so tests drive the real CLI in-process with injected streams,
 * environment and clock. Global flags (`--proxy`, `--user`, `--insecure`, `-i`) are accepted before
 * or after the subcommand, as upstream's are.
 */
import { newProgram, runProgram, processIO, type CLIIO } from '../common/cli.ts';
import { VERSION } from '../../version.ts';
import { newContext } from './context.ts';
import { registerLoginCommand } from './login.ts';
import { registerLogoutCommand } from './logout.ts';
import { registerStatusCommand } from './status.ts';
import { registerLsCommand } from './ls.ts';
import { protectRemoteCommand, registerSSHCommand } from './ssh.ts';
import { registerSCPCommand } from './scp.ts';
import { registerConfigCommand } from './config.ts';
import { registerProxyCommands } from './proxySSH.ts';
import { registerSessionCommands } from './sessions.ts';
import { registerPlayCommand } from './play.ts';
import { registerRecordingsCommands } from './recordings.ts';
import { authClientGetter } from './cluster.ts';
import { registerDbCommands } from './db.ts';
import { registerProxyDbCommand } from './proxyDb.ts';
import { registerBenchCommands } from './bench.ts';

/** Extra knobs for tests. */
export interface TshOptions {
  /** Clock for expiry decisions and "valid for" output. */
  now?: () => Date;
  /** Ends long-running commands (`tsh ssh -N`, observers in `tsh join`) when aborted. */
  signal?: AbortSignal;
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
  registerLoginCommand(program, ctx);
  registerLogoutCommand(program, ctx);
  registerStatusCommand(program, ctx);
  registerLsCommand(program, ctx);
  registerSSHCommand(program, ctx);
  registerSCPCommand(program, ctx);
  registerConfigCommand(program, ctx);
  registerProxyCommands(program, ctx);
  registerProxyDbCommand(program, ctx);
  registerDbCommands(program, ctx);
  registerSessionCommands(program, ctx);
  registerBenchCommands(program, ctx);
  const getAuthClient = authClientGetter(ctx, program);
  registerPlayCommand(program, io, getAuthClient);
  registerRecordingsCommands(program, io, getAuthClient);
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
