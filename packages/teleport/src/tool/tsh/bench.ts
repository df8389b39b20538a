/**
 * @module tool/tsh/bench
 * `tsh bench ssh|postgres|mysql`: open-loop load at a fixed rate against one target through the
 * cluster, then upstream's report (requests originated and failed, latency percentiles) and, with
 * `--export`, the HdrHistogram percentile distribution written to a file. The load generator is
 * client/bench/runner.ts; each subcommand only supplies "one request" (benchSSH.ts, benchDb.ts).
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '@teleport-ts/api/duration';
import { DEFAULT_CONCURRENCY } from '../../client/bench/runner.ts';
import { ExitError } from '../common/cli.ts';
import type { TshContext } from './context.ts';
import { benchSSH, type BenchSSHFlags } from './benchSSH.ts';
import { benchDatabase, type BenchDbFlags } from './benchDb.ts';
import { allFailed } from './benchRun.ts';

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

function positiveInt(v: string): number {
  const n = positiveNumber(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

function durationMs(v: string): number {
  try {
    const ms = parseDuration(v, '--duration');
    if (ms <= 0) throw new InvalidArgumentError('expected a positive duration');
    return ms;
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

const HELP_AFTER = [
  '',
  'Load is open-loop: request i starts at i/rate seconds whether or not earlier ones finished, and its',
  'latency is measured from that scheduled time (no coordinated omission). At most --concurrency',
  'requests run at once; a request held back by the cap still counts its wait.',
  '',
].join('\n');

function withBenchOptions(cmd: Command): Command {
  return cmd
    .option('--rate <n>', 'requests per second', positiveNumber, 10)
    .option('--duration <d>', 'how long to send requests (Go duration: 30s, 1m, 1m30s)', durationMs, 1000)
    .option('--concurrency <n>', 'most requests in flight at once', positiveInt, DEFAULT_CONCURRENCY)
    .option('--export', 'write the latency histogram (HdrHistogram percentile distribution, ms) to a file')
    .option('--path <dir>', 'directory for --export', '.')
    .option('--ticks <n>', 'percentile ticks per half distance in the --export file', positiveInt, 5)
    .option('--cluster <name>', 'cluster of the target (default: the profile\'s)')
    .addHelpText('after', HELP_AFTER);
}

/** Registers `tsh bench`. */
export function registerBenchCommands(program: Command, ctx: TshContext): void {
  const bench = program.command('bench').description('Run latency benchmarks against the cluster (SSH, PostgreSQL, MySQL).');
  withBenchOptions(bench.command('ssh'))
    .description('Benchmark SSH: each request is a new connection through the proxy to the node, running the command.')
    .argument('<destination>', '[user@]host of the node')
    .argument('<command...>', 'command to run (put "--" before it when it has options)')
    .option('-l, --login <login>', 'remote login (default: user@ of the destination, then the local user name)')
    .option('-p, --port <port>', 'SSH port of the node (default: the port the node advertises)')
    .option('--interactive', 'run the command in an interactive shell with a terminal, then exit')
    .addHelpText('after', 'Example:\n  tsh bench ssh --rate 20 --duration 30s root@node1 true\n')
    .action(async (destination: string, command: string[], _o: unknown, cmd: Command) => {
      const result = await benchSSH(ctx, destination, command, cmd.optsWithGlobals<BenchSSHFlags>());
      if (allFailed(result)) throw new ExitError(1);
    });
  for (const protocol of ['postgres', 'mysql'] as const) {
    const kind = protocol === 'postgres' ? 'PostgreSQL' : 'MySQL';
    withBenchOptions(bench.command(protocol))
      .description(`Benchmark a ${kind} database: each request is a new connection through the proxy running the query.`)
      .argument('<db>', 'database name (see "tsh db ls")')
      .option('--db-user <user>', 'database user (default: the saved login\'s, else the only one your roles allow)')
      .option('--db-name <name>', 'database name to connect to')
      .option('--query <sql>', 'query each request runs', 'select 1')
      .addHelpText('after', `Example:\n  tsh bench ${protocol} --rate 50 --duration 30s --db-user alice mydb\n`)
      .action(async (db: string, _o: unknown, cmd: Command) => {
        const result = await benchDatabase(ctx, protocol, db, cmd.optsWithGlobals<BenchDbFlags>());
        if (allFailed(result)) throw new ExitError(1);
      });
  }
}
