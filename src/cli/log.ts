/**
 * `glup log --data DIR [--from-seq N] [--json]`: a node's data directory read offline, like
 * etcd-dump-logs. Every crc is checked (snapshots and log records); the records are printed
 * one per line. Exit 0 when everything checks out, 1 on corruption (named by file and byte
 * offset, on stderr), 2 when DIR is not a data directory.
 */
import type { Command } from 'commander';
import { EXIT_FAILED, EXIT_OK, intArg, out, UsageError } from './common.js';

export function register(program: Command): void {
  program
    .command('log')
    .description("print a stopped node's log and snapshots (a file store data directory), checking every crc; exit 1 on corruption")
    .requiredOption('--data <dir>', 'the data directory (glup node --data)')
    .option('--from-seq <n>', 'print records from this seq on', intArg(1))
    .option('--json', 'one JSON object per line: meta, snapshot, record and corrupt lines')
    .action(async (flags: { data: string; fromSeq?: number; json?: boolean }) => {
      const { dumpDataDir } = await import('../persistence/dump.js');
      let dump;
      try {
        dump = await dumpDataDir(flags.data);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const from = flags.fromSeq ?? 1;
      if (flags.json) {
        out(JSON.stringify({ kind: 'meta', dir: dump.dir, ...(dump.meta ?? { incarnation: null, committedSeq: null, epoch: null }) }));
        for (const s of dump.snapshots) out(JSON.stringify({ kind: 'snapshot', ...s }));
        for (const { offset, record } of dump.records) {
          if (record.seq >= from) out(JSON.stringify({ kind: 'record', offset, seq: record.seq, epoch: record.epoch, ts: record.ts, origin: record.origin, id: record.id, op: record.op }));
        }
        for (const c of dump.corruptions) out(JSON.stringify({ kind: 'corrupt', ...c }));
      } else {
        const m = dump.meta;
        out(`data directory ${dump.dir}`);
        out(m ? `meta: incarnation ${m.incarnation}, committed seq ${m.committedSeq}, epoch ${m.epoch}` : 'meta: none');
        for (const s of dump.snapshots) out(`snapshot seq ${s.seq} epoch ${s.epoch}: ${s.members.length} members (${s.members.join(', ')}), crc ok`);
        const recs = dump.records;
        const logDamaged = dump.corruptions.some((c) => c.file.endsWith('log.jsonl'));
        const span = recs.length ? `seq ${recs[0]!.record.seq} to ${recs.at(-1)!.record.seq}, ${recs.length} records` : 'no records';
        out(`log: ${span}${logDamaged ? ' with a good crc, then damage (see stderr)' : recs.length ? ', crc ok' : ''}`);
        for (const { record: r } of recs) if (r.seq >= from) out(`${r.seq} epoch ${r.epoch} ${r.origin} ${r.id} ${JSON.stringify(r.op)}`);
      }
      for (const c of dump.corruptions) process.stderr.write(`error: ${c.file}: ${c.reason} at offset ${c.offset}\n`);
      process.exitCode = dump.corruptions.length ? EXIT_FAILED : EXIT_OK;
    });
}
