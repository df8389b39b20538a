/**
 * @module bench/machine
 * The facts about the machine a benchmark ran on, recorded next to every result so figures from
 * different runs can be compared honestly: CPU cores and model, memory, kernel, and the versions of
 * Node.js, OpenSSH and PostgreSQL the scenarios measured against.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';

/** What the results JSON records about the machine. */
export interface MachineFacts {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  /** The flags node was started with (`process.execArgv`): the V8 heap flags change bulk figures. */
  nodeFlags: string[];
  /** `ssh -V`, or "not found". */
  openssh: string;
  /** `postgres --version` of the server the database scenarios start, or "not found". */
  postgresql: string;
  /** `mariadbd --version`, or "not found". */
  mariadb: string;
  /** 1/5/15-minute load averages when the run started (other work on the machine skews figures). */
  loadAverage: number[];
}

/** First line a program prints for a version flag (stdout or stderr), or "not found". */
function versionOf(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 5000 });
  if (r.error || r.status !== 0) return 'not found';
  return `${r.stdout}${r.stderr}`.trim().split('\n')[0] ?? 'not found';
}

/** The PostgreSQL server binary the test helpers use (packages/teleport/src/testing/postgres.ts), if installed. */
function postgresVersion(): string {
  const bin = '/usr/lib/postgresql/15/bin/postgres';
  return existsSync(bin) ? versionOf(bin, ['--version']) : versionOf('postgres', ['--version']);
}

/** Collects {@link MachineFacts} (a few short subprocesses). */
export function machineFacts(): MachineFacts {
  const cpuList = cpus();
  return {
    cores: cpuList.length,
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    nodeFlags: [...process.execArgv],
    openssh: versionOf('ssh', ['-V']),
    postgresql: postgresVersion(),
    mariadb: existsSync('/usr/sbin/mariadbd') ? versionOf('/usr/sbin/mariadbd', ['--version']) : 'not found',
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** One line for the table's header: "2 cores (AMD EPYC), 23.4 GiB RAM, Linux 6.1, Node v20.20.2, OpenSSH_9.2p1, load 0.5/0.4/0.3". */
export function describeMachine(m: MachineFacts): string {
  return `${m.cores} cores (${m.cpuModel}), ${m.memoryGiB} GiB RAM, Linux ${m.kernel}, Node ${m.node}${m.nodeFlags.length > 0 ? ` (${m.nodeFlags.join(' ')})` : ''}, ${m.openssh.split(',')[0]}, load ${m.loadAverage.join('/')}`;
}
