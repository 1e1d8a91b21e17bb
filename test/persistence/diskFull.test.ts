/**
 * A file store on a full disk (issue 15): writes reject with ENOSPC and are never half-kept;
 * once space is freed and the store reopened, it works again and every record on disk passes
 * its crc. Runs on a 2 MiB tmpfs mounted by the test (as root), and again with the fault
 * store playing the full disk, which is what runs where mounting is not allowed.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileStore, type Store } from '../../src/persistence/index.js';
import { decodeRecord } from '../../src/persistence/record.js';
import { smallDisk } from '../helpers/smallDisk.js';
import { recs, seqsOf, snap } from './fixtures.js';

/** The seqs of the log's records, read raw; decodeRecord throws on a bad crc or a torn line. */
function seqsOnDisk(dir: string): number[] {
  const text = readFileSync(join(dir, 'log.jsonl'), 'utf8');
  if (text !== '' && !text.endsWith('\n')) throw new Error('the log ends in a torn record');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => decodeRecord(l).seq);
}

for (const forceFallback of [false, true]) {
  test(`${forceFallback ? 'fault store' : 'tmpfs'}: appends on a full disk reject with ENOSPC; after freeing space a reopened store works and every crc is good`, async (t) => {
    const disk = await smallDisk(t, { sizeBytes: 2 * 1024 * 1024, forceFallback });
    t.log(`disk: ${disk.kind}`);
    const dir = join(disk.dir, 'n1');
    const open = async () => {
      const s = disk.wrap(fileStore(dir));
      return { s, state: await s.open() };
    };
    let { s } = await open();
    await s.append(recs(1, 50));
    await disk.fill(8 * 1024);

    // Append batches of 20 records (~6 KiB) until the disk refuses one.
    let next = 51;
    let refused: NodeJS.ErrnoException | undefined;
    for (let i = 0; i < 1000 && !refused; i++) {
      try {
        await s.append(recs(next, next + 19));
        next += 20;
      } catch (e) {
        refused = e as NodeJS.ErrnoException;
      }
    }
    t.truthy(refused, 'the disk filled up');
    t.is(refused!.code, 'ENOSPC', refused!.message);
    t.is(refused!.path, join(dir, 'log.jsonl'), 'the error names the file the disk refused');
    const acked = next - 1;
    t.log(`${acked} records durable before ENOSPC`);
    // Everything else that writes fails too while the disk is full.
    await t.throwsAsync(s.append(recs(next, next)), undefined, 'a later append');
    await t.throwsAsync(s.writeSnapshot(snap(acked)), undefined, 'a snapshot');

    await disk.free();
    await s.close();
    let state: Awaited<ReturnType<Store['open']>>;
    ({ s, state } = await open());
    t.deepEqual(state.warnings, [], 'nothing to cut back: the refused write left no half record');
    t.deepEqual(seqsOf(state.records), Array.from({ length: acked }, (_, i) => i + 1), 'every acked record is there, nothing more');

    // The store works again: appends, a snapshot (which compacts), and meta.
    await s.append(recs(next, next + 99));
    await s.writeSnapshot(snap(next + 49));
    await s.setEpoch(3);
    await s.close();
    ({ s, state } = await open());
    t.deepEqual(state.warnings, []);
    t.is(state.snapshot?.seq, next + 49);
    t.is(state.epoch, 3);
    const onDisk = seqsOnDisk(dir);
    t.deepEqual(onDisk, Array.from({ length: next + 99 }, (_, i) => i + 1), 'every record on disk, gapless, every crc good');
    await s.close();
  });
}
