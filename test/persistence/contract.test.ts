import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { faultyStore, fileStore, jetstreamStore, memoryStore, monitoredStore, type FaultyStore, type MonitoredStore, type Store } from '../../src/persistence/index.js';
import { startNatsServer, type NatsServer } from '../helpers/natsServer.js';
import { rec, recs, seqsOf, snap } from './fixtures.js';

/**
 * The Store contract (SPEC section 6), run against every backend. `fresh()` gives an empty
 * store; `restart(store)` closes it and returns what a restarted node would open on the
 * same data (the same object for memory, a new object on the same dir/stream otherwise).
 */
interface Backend {
  name: string;
  fresh(): Promise<Store>;
  restart(store: Store): Promise<Store>;
}

let nats: NatsServer | null = null;
const dirs: string[] = [];
const opened: Store[] = [];
let clusterCounter = 0;

test.before(async () => {
  nats = await startNatsServer();
});

test.after.always(async () => {
  for (const s of opened) await s.close().catch(() => {});
  await nats?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const track = (s: Store) => {
  opened.push(s);
  return s;
};

const backends: Backend[] = [
  {
    name: 'memory',
    fresh: async () => memoryStore(),
    restart: async (s) => {
      await s.close();
      return s;
    },
  },
  {
    name: 'file',
    fresh: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'glup-store-'));
      dirs.push(dir);
      return track(fileStore(dir));
    },
    restart: async (s) => {
      await s.close();
      return track(fileStore((s as ReturnType<typeof fileStore>).dir));
    },
  },
  // The fault and health wrappers with no fault planned must be invisible.
  {
    name: 'faulty(memory)',
    fresh: async () => faultyStore(memoryStore()),
    restart: async (s) => {
      await s.close();
      return s;
    },
  },
  {
    name: 'monitored(faulty(file))',
    fresh: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'glup-store-'));
      dirs.push(dir);
      return track(monitoredStore(faultyStore(fileStore(dir))));
    },
    restart: async (s) => {
      await s.close();
      const dir = ((s as MonitoredStore).inner as FaultyStore).inner as ReturnType<typeof fileStore>;
      return track(monitoredStore(faultyStore(fileStore(dir.dir))));
    },
  },
  {
    name: 'jetstream',
    fresh: async () => track(jetstreamStore({ servers: nats!.url, cluster: `contract-${++clusterCounter}`, node: 'n1' })),
    restart: async (s) => {
      await s.close();
      const cluster = (s as ReturnType<typeof jetstreamStore>).streamName.replace('GLUP_LOG_', '');
      return track(jetstreamStore({ servers: nats!.url, cluster, node: 'n1' }));
    },
  },
];

for (const b of backends) {
  test(`${b.name}: a fresh store opens empty`, async (tt) => {
    const s = await b.fresh();
    tt.deepEqual(await s.open(), { snapshot: null, records: [], committedSeq: 0, incarnation: 0, epoch: 0, warnings: [] });
  });

  test(`${b.name}: the epoch a node voted in or led survives a restart and never goes down`, async (tt) => {
    let s = await b.fresh();
    await s.open();
    await s.setEpoch(4);
    await s.setEpoch(3);
    await s.reset();
    s = await b.restart(s);
    tt.is((await s.open()).epoch, 4);
  });

  test(`${b.name}: appended records come back after a restart, in order`, async (tt) => {
    let s = await b.fresh();
    await s.open();
    await s.append(recs(1, 2));
    await s.append([rec(3)]);
    s = await b.restart(s);
    const state = await s.open();
    tt.deepEqual(state.records, recs(1, 3));
    tt.is(state.snapshot, null);
    tt.deepEqual(state.warnings, []);
    await s.append([rec(4)]);
    tt.deepEqual(seqsOf(await s.readRange(1, 10)), [1, 2, 3, 4]);
  });

  test(`${b.name}: the store keeps its own copy of what it is given and hands out`, async (tt) => {
    const s = await b.fresh();
    await s.open();
    const r = rec(1);
    await s.append([r]);
    (r.op as { set: { value: unknown } }).set.value = 'mutated';
    const [back] = await s.readRange(1, 1);
    tt.deepEqual(back, rec(1));
    back.id = 'changed';
    tt.deepEqual(await s.readRange(1, 1), [rec(1)]);
  });

  test(`${b.name}: an append that does not continue the log is refused`, async (tt) => {
    const s = await b.fresh();
    await s.open();
    await tt.throwsAsync(s.append([rec(2)]), { message: /out of order.*seq 2, expected 1|seq 2, expected 1/ });
    await s.append(recs(1, 3));
    await tt.throwsAsync(s.append([rec(5)]), { message: /expected 4/ });
    await s.append([rec(4)]);
    tt.deepEqual(seqsOf(await s.readRange(1, 4)), [1, 2, 3, 4]);
  });

  test(`${b.name}: readRange returns the records held in [from, to]`, async (tt) => {
    const s = await b.fresh();
    await s.open();
    await s.append(recs(1, 20));
    tt.deepEqual(await s.readRange(5, 8), recs(5, 8));
    tt.deepEqual(seqsOf(await s.readRange(18, 100)), [18, 19, 20]);
    tt.deepEqual(await s.readRange(21, 30), []);
    tt.deepEqual(await s.readRange(9, 8), []);
  });

  test(`${b.name}: after a snapshot, open returns it and only the later records`, async (tt) => {
    let s = await b.fresh();
    await s.open();
    await s.append(recs(1, 10));
    await s.writeSnapshot(snap(5));
    s = await b.restart(s);
    let state = await s.open();
    tt.deepEqual(state.snapshot, snap(5));
    tt.deepEqual(seqsOf(state.records), [6, 7, 8, 9, 10]);

    await s.writeSnapshot(snap(8));
    await s.append([rec(11)]);
    s = await b.restart(s);
    state = await s.open();
    tt.deepEqual(state.snapshot, snap(8));
    tt.deepEqual(seqsOf(state.records), [9, 10, 11]);
    // Compacted: what is still held is a gapless suffix ending at 11, without the early records.
    const held = seqsOf(await s.readRange(1, 11));
    tt.false(held.includes(1));
    tt.deepEqual(held, Array.from({ length: held.length }, (_, i) => 12 - held.length + i));
    tt.true(held.includes(9));
  });

  test(`${b.name}: a snapshot ahead of the whole log (taken over from the manager) continues the log`, async (tt) => {
    let s = await b.fresh();
    await s.open();
    await s.append(recs(1, 3));
    await s.writeSnapshot(snap(50));
    await tt.throwsAsync(s.append([rec(4)]), { message: /expected 51/ });
    await s.append(recs(51, 52));
    s = await b.restart(s);
    const state = await s.open();
    tt.is(state.snapshot?.seq, 50);
    tt.deepEqual(seqsOf(state.records), [51, 52]);
    tt.deepEqual(state.warnings, []);
  });

  test(`${b.name}: truncateAfter drops the divergent tail and the same seqs can be written again`, async (tt) => {
    let s = await b.fresh();
    await s.open();
    await s.append(recs(1, 5));
    await s.truncateAfter(3);
    tt.deepEqual(seqsOf(await s.readRange(1, 10)), [1, 2, 3]);
    // Same (seq, epoch) as a dropped record: must not be swallowed as a duplicate.
    await s.append([rec(4, 1)]);
    await s.append([rec(5, 2)]);
    s = await b.restart(s);
    const state = await s.open();
    tt.deepEqual(state.records, [...recs(1, 4), rec(5, 2)]);
    await s.truncateAfter(10); // nothing above 10: a no-op
    tt.deepEqual(seqsOf(await s.readRange(1, 10)), [1, 2, 3, 4, 5]);
  });

  test(`${b.name}: truncateAfter below the snapshot drops the snapshot too`, async (tt) => {
    let s = await b.fresh();
    await s.open();
    await s.append(recs(1, 6));
    await s.writeSnapshot(snap(3));
    await s.truncateAfter(2);
    s = await b.restart(s);
    const state = await s.open();
    tt.is(state.snapshot, null);
    tt.true(state.records.every((r) => r.seq <= 2));
  });

  test(`${b.name}: incarnation and committedSeq persist`, async (tt) => {
    let s = await b.fresh();
    let state = await s.open();
    await s.setIncarnation(state.incarnation + 1);
    await s.append(recs(1, 4));
    await s.setCommitted(3);
    s = await b.restart(s);
    state = await s.open();
    tt.is(state.incarnation, 1);
    tt.is(state.committedSeq, 3);
    await s.setIncarnation(state.incarnation + 1);
    await s.setCommitted(4);
    s = await b.restart(s);
    state = await s.open();
    tt.is(state.incarnation, 2);
    tt.is(state.committedSeq, 4);
  });

  test(`${b.name}: reset wipes log, snapshot and committedSeq but keeps the incarnation`, async (tt) => {
    let s = await b.fresh();
    await s.open();
    await s.setIncarnation(4);
    await s.append(recs(1, 5));
    await s.writeSnapshot(snap(2));
    await s.setCommitted(5);
    await s.reset();
    await s.append(recs(1, 2)); // the same records again
    s = await b.restart(s);
    const state = await s.open();
    tt.is(state.snapshot, null);
    tt.deepEqual(state.records, recs(1, 2));
    tt.is(state.committedSeq, 0);
    tt.is(state.incarnation, 4);
  });

  test(`${b.name}: actor snapshots are saved`, async (tt) => {
    const s = (await b.fresh()) as Store & { loadActorSnapshots(): Promise<Record<string, unknown>> };
    await s.open();
    await s.saveActorSnapshots({ node: { value: 'member', context: { n: 1 } } });
    tt.deepEqual(await s.loadActorSnapshots(), { node: { value: 'member', context: { n: 1 } } });
  });

}
