/**
 * `glup status`: one look at a running cluster, or with `--watch` a live one (crm_mon style).
 * Every node that answers is shown, with or without a manager; exit 1 when no manager answered.
 */
import type { Command } from 'commander';
import type { ClusterStatus } from './admin.js';
import { clusterArg, EXIT_FAILED, EXIT_OK, intArg, out } from './common.js';
import { addConnectionFlags, checkConnectionFlags, connectionOptions, type ConnectionFlags } from './connection.js';

interface StatusFlags extends ConnectionFlags {
  cluster: string;
  json?: boolean;
  watch?: boolean;
  interval: number;
  iterations?: number;
  timeout: number;
}

export function register(program: Command): void {
  const command = program
    .command('status')
    .description('show the manager, backup, epoch, seq, nodes (seq, lag, isolated or unreachable) and groups of a running cluster')
    .requiredOption('--cluster <name>', 'cluster name', clusterArg)
    .option('--json', 'print one JSON object {cluster, manager, backup, epoch, seq, nodes, groups, metrics} (one per redraw with --watch)')
    .option('--watch', 'redraw every --interval ms until interrupted')
    .option('--interval <ms>', 'redraw interval of --watch', intArg(100), 1000)
    .option('--iterations <n>', 'with --watch: stop after n redraws', intArg(1))
    .option('--timeout <ms>', 'how long to wait for replies (a whole round without a manager)', intArg(100), 3000);
  addConnectionFlags(command).action(async (flags: StatusFlags) => {
    checkConnectionFlags(flags);
    const { withSession } = await import('../admin/session.js');
    const { statusOf } = await import('../admin/client.js');
    const { statusLines } = await import('../admin/statusText.js');
    const tty = process.stdout.isTTY === true && !flags.json;
    const show = (s: ClusterStatus) => {
      if (flags.json) return out(JSON.stringify({ cluster: s.cluster, manager: s.manager, backup: s.backup, epoch: s.epoch, seq: s.seq, nodes: s.nodes, groups: s.groups, metrics: s.metrics }));
      // a terminal gets the screen redrawn in place; a pipe gets one block per round
      if (tty && flags.watch) process.stdout.write('\x1b[2J\x1b[H');
      for (const line of statusLines(s, flags.watch ? { time: new Date() } : {})) out(line);
      if (flags.watch && !tty) out('');
    };
    const opts = { cluster: flags.cluster, as: flags.as!, connection: connectionOptions(flags, flags.as!) };
    let last: ClusterStatus | null = null;
    await withSession(opts, async (session) => {
      if (!flags.watch) {
        last = await statusOf(session, flags.timeout);
        return show(last);
      }
      const stop = new Promise<void>((resolve) => {
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
      });
      let stopped = false;
      void stop.then(() => (stopped = true));
      for (let round = 0; !stopped && (flags.iterations === undefined || round < flags.iterations); round++) {
        const started = Date.now();
        try {
          last = await statusOf(session, Math.min(flags.timeout, flags.interval));
          show(last);
        } catch (e) {
          // nobody answered this round: say so and keep watching
          if (flags.json) out(JSON.stringify({ cluster: flags.cluster, error: (e as Error).message }));
          else out(`cluster ${flags.cluster}: ${(e as Error).message}`);
        }
        if (flags.iterations !== undefined && round + 1 >= flags.iterations) break;
        await Promise.race([stop, new Promise((r) => setTimeout(r, Math.max(0, flags.interval - (Date.now() - started))))]);
      }
    });
    const final = last as ClusterStatus | null;
    process.exitCode = flags.watch ? EXIT_OK : final?.manager ? EXIT_OK : EXIT_FAILED;
  });
}
