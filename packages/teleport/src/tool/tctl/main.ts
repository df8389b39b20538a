/**
 * @module tool/tctl/main
 * `tctl`, the admin tool: parses arguments and dispatches to the command modules. The binary in
 * bin/tctl.js only calls `runTctl`, so tests drive the real CLI in-process.
 */
import { newProgram, runProgram, processIO, type CLIIO } from '../common/cli.ts';
import { VERSION } from '../../version.ts';
import { connect, type ConnectOptions, type TctlContext } from './connect.ts';
import { registerUserCommands } from './users.ts';
import { registerTokenCommands } from './tokens.ts';
import { registerResourceCommands } from './resources.ts';
import { registerAuthCommands } from './auth.ts';
import { registerStatusCommand } from './status.ts';
import { registerEventCommands } from './events.ts';

/** Extra knobs for tests. */
export interface TctlOptions {
  defaultConfigPath?: string;
}

/** Runs tctl with `argv` (without the program name); returns the exit code. */
export async function runTctl(argv: string[], io: CLIIO = processIO(), options: TctlOptions = {}): Promise<number> {
  const program = newProgram('tctl', 'Admin tool for the Teleport cluster.', io)
    .option('-c, --config <path>', 'teleport.yaml of the auth server (default /etc/teleport.yaml)')
    .option('-i, --identity <file>', 'identity file from "tctl auth sign" to authenticate with')
    .option('--auth-server <addr>', 'auth service address host:port (default: from the config)')
    .option('-d, --debug', 'print stack traces on errors');
  let ctx: Promise<TctlContext> | undefined;
  const lazyConnect = (): Promise<TctlContext> => {
    const g = program.opts<{ config?: string; identity?: string; authServer?: string }>();
    const opts: ConnectOptions = {
      ...(g.config && { config: g.config }),
      ...(g.identity && { identity: g.identity }),
      ...(g.authServer && { authServer: g.authServer }),
      ...(options.defaultConfigPath && { defaultConfigPath: options.defaultConfigPath }),
    };
    ctx ??= connect(opts);
    return ctx;
  };
  registerUserCommands(program, io, lazyConnect);
  registerTokenCommands(program, io, lazyConnect);
  registerResourceCommands(program, io, lazyConnect);
  registerAuthCommands(program, io, lazyConnect);
  registerStatusCommand(program, io, lazyConnect);
  registerEventCommands(program, io, lazyConnect);
  program.command('version').description('Print the version.').action(() => {
    io.stdout.write(`Teleport v${VERSION} (tctl, TypeScript implementation)\n`);
  });
  const debug = argv.includes('-d') || argv.includes('--debug');
  return runProgram(program, argv, io, debug);
}
