/**
 * @module tool/teleport/main
 * `teleport`, the daemon: `start`, `configure`, `join openssh`, `version`. bin/teleport.js only calls `runTeleport`.
 */
import { writeFile, access } from 'node:fs/promises';
import { BadParameterError } from '@teleport-ts/api/errors';
import { newProgram, runProgram, processIO, type CLIIO } from '../common/cli.ts';
import { VERSION } from '../../version.ts';
import { loadConfig, type StartFlags } from '../../config/serviceConfig.ts';
import { starterConfig } from '../../config/configure.ts';
import { startTeleport, type TeleportProcess } from '../../service/teleportProcess.ts';
import { installSignalHandlers } from '../../service/supervisor.ts';
import { createProcessLogger } from './logging.ts';
import { registerJoinOpenSSH, type JoinOpenSSHDeps } from './joinOpenSSH.ts';

/** Hooks for tests: observe the started process instead of waiting for signals. */
export interface TeleportRunOptions {
  onStarted?: (proc: TeleportProcess) => Promise<void> | void;
  /** Do not install signal handlers or wait for exit (tests). */
  noWait?: boolean;
  defaultConfigPath?: string;
  /** Replaces the cluster side of `teleport join openssh` (tests). */
  joinOpenSSH?: JoinOpenSSHDeps;
}

/** Runs the teleport CLI; returns the exit code. */
export async function runTeleport(argv: string[], io: CLIIO = processIO(), options: TeleportRunOptions = {}): Promise<number> {
  const program = newProgram('teleport', 'Teleport daemon: runs the auth, proxy and agent services.', io);
  program
    .command('start')
    .description('Start the services enabled in teleport.yaml or by --roles.')
    .option('-c, --config <path>', 'path to teleport.yaml (default /etc/teleport.yaml if it exists)')
    .option('--roles <roles>', 'comma-separated services to run: auth,proxy,node,db,app,kube')
    .option('--data-dir <dir>', 'where to keep state (default /var/lib/teleport)')
    .option('--nodename <name>', 'name of this host in the cluster (default: hostname)')
    .option('--auth-server <addr>', 'auth server (or proxy) to join, host:port')
    .option('--token <token>', 'join token, or the path of a file holding it')
    .option('--ca-pin <pins>', 'expected CA pin(s) "sha256:..." when joining')
    .option('--labels <labels>', 'static labels, e.g. env=prod,team=a')
    .option('--diag-addr <addr>', 'serve /healthz, /readyz and /metrics on this address')
    .option('--insecure', 'do not verify the proxy\'s TLS certificate when joining (testing only)')
    .option('-d, --debug', 'log at debug level')
    .action(async (o: StartFlags & { config?: string; debug?: boolean; nodename?: string }) => {
      const { config, debug, nodename, ...rest } = o;
      const cfg = await loadConfig({
        configPath: config,
        flags: { ...rest, ...(nodename && { nodeName: nodename }) },
        ...(options.defaultConfigPath && { defaultConfigPath: options.defaultConfigPath }),
      });
      if (debug) cfg.log.severity = 'debug';
      const logger = createProcessLogger(cfg.log, io);
      const proc = await startTeleport(cfg, { logger });
      logger.info(
        { auth: proc.authAddr, web: proc.webAddr, diag: proc.diagAddr, data_dir: cfg.dataDir },
        'teleport is running',
      );
      if (proc.webAddr && proc.auth) {
        io.stderr.write(
          `\nTeleport is running. Cluster: ${proc.auth.auth.clusterName}\n` +
            `  Web proxy:    https://${proc.proxy?.publicAddr ?? proc.webAddr}\n` +
            `  Auth service: ${proc.authAddr}\n` +
            `Create a user: tctl${cfg.configPath ? ` -c ${cfg.configPath}` : ''} users add alice --roles=access,editor --logins=$USER\n\n`,
        );
      }
      await options.onStarted?.(proc);
      if (options.noWait) return;
      const remove = installSignalHandlers(proc.supervisor, logger);
      await proc.supervisor.wait();
      remove();
    });

  program
    .command('configure')
    .description('Print a starter teleport.yaml (or write it with -o).')
    .option('--cluster-name <name>', 'cluster name')
    .option('--public-addr <addr>', 'public address of the proxy, host:port')
    .option('-d, --data-dir <dir>', 'data directory')
    .option('--nodename <name>', 'node name')
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .action(async (o: { clusterName?: string; publicAddr?: string; dataDir?: string; nodename?: string; output?: string }) => {
      const text = starterConfig({
        ...(o.clusterName && { clusterName: o.clusterName }),
        ...(o.publicAddr && { publicAddr: o.publicAddr }),
        ...(o.dataDir && { dataDir: o.dataDir }),
        ...(o.nodename && { nodeName: o.nodename }),
      });
      if (!o.output) {
        io.stdout.write(text);
        return;
      }
      if (await access(o.output).then(() => true, () => false)) throw new BadParameterError(`${o.output} already exists; remove it first`);
      await writeFile(o.output, text, { mode: 0o600 });
      io.stdout.write(`Wrote config to file "${o.output}". Now you can start the server. Happy Teleporting!\n`);
    });

  registerJoinOpenSSH(program, io, options.joinOpenSSH);

  program.command('version').description('Print the version.').action(() => {
    io.stdout.write(`Teleport v${VERSION} (TypeScript implementation) node ${process.version}\n`);
  });
  return runProgram(program, argv, io, argv.includes('--debug') || argv.includes('-d'));
}
