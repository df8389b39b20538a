/**
 * @module tool/tctl/status
 * `tctl status`: cluster name, version and the CA pin agents join with.
 */
import type { Command } from 'commander';
import type { CLIIO } from '../common/cli.ts';
import type { TctlContext } from './connect.ts';

/** Registers `tctl status`. */
export function registerStatusCommand(program: Command, io: CLIIO, connect: () => Promise<TctlContext>): void {
  program
    .command('status')
    .description('Report the cluster status: name, version and CA pin.')
    .action(async () => {
      const { client } = await connect();
      const ping = await client.ping();
      const cas = await client.getCertAuthorities();
      const rows: Array<[string, string]> = [
        ['Cluster', ping.clusterName],
        ['Version', ping.serverVersion],
        ...cas.map((ca): [string, string] => [`${ca.spec.type} CA`, `rotation: ${ca.spec.rotation?.state ?? 'never rotated'}`]),
        ['CA pin', ping.caPins.join(', ')],
      ];
      const width = Math.max(...rows.map(([k]) => k.length)) + 1;
      io.stdout.write(rows.map(([k, v]) => `${`${k}:`.padEnd(width + 1)}${v}`).join('\n') + '\n');
    });
}
