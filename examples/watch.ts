/**
 * node.watch(prefix, { fromSeq }): the committed updates that touch a prefix, as an async
 * iterator. It first replays the committed history from the log, then follows live commits,
 * in seq order, without gaps or repeats. Resuming from a saved seq gives exactly what was missed.
 * Run: npx tsx examples/watch.ts (the asserts make it exit non-zero if glup misbehaves)
 */
import assert from 'node:assert/strict';
import { createNode, memoryNetwork, memoryStore, type UpdateRecord } from '../src/index.js';

const net = memoryNetwork({ seed: 1, virtualTime: true });
const ids = ['n1', 'n2', 'n3'];
const nodes = ids.map((id) =>
  createNode({
    cluster: 'watch-demo',
    id,
    transport: net.transport(id),
    store: memoryStore(), // the default would be a file store under .glup-data
    heartbeatMs: 100,
    initialMembers: ids,
  }),
);
const [n1, n2, n3] = nodes;
await net.settle(Promise.all(nodes.map((n) => n.start())), { timeoutMs: 5000 });

// Two updates under config, one elsewhere, committed before anyone watches.
await net.settle(n1.update({ set: { path: 'config.color', value: 'blue' } }), { timeoutMs: 2000 });
await net.settle(n2.update({ set: { path: 'jobs.j1', value: { state: 'queued' } } }), { timeoutMs: 2000 });
const { seq: sizeSeq } = await net.settle(n3.update({ set: { path: 'config.size', value: 3 } }), { timeoutMs: 2000 });

// With virtual time, each next() must be settled so that time can move while it waits.
const show = (r: UpdateRecord) => {
  console.log(`seq ${r.seq} epoch ${r.epoch} from ${r.origin}: ${JSON.stringify(r.op)}`);
  return r;
};

// fromSeq 1: the history from the log first; updates outside `config` are skipped.
const watcher = n3.watch('config', { fromSeq: 1 });
console.log('history:');
const history: UpdateRecord[] = [];
for (let i = 0; i < 2; i++) history.push(show((await net.settle(watcher.next(), { timeoutMs: 1000 })).value as UpdateRecord));
assert.deepEqual(
  history.map((r) => r.op),
  [{ set: { path: 'config.color', value: 'blue' } }, { set: { path: 'config.size', value: 3 } }],
  'the history holds the config updates only, in commit order',
);
assert.equal(history[1].seq, sizeSeq);

// Then live commits, as they commit on n3.
console.log('live:');
const pending = watcher.next();
await net.settle(n1.update({ merge: { path: 'config', value: { color: 'green' } } }), { timeoutMs: 2000 });
const live = show((await net.settle(pending, { timeoutMs: 1000 })).value as UpdateRecord);
assert.deepEqual(live.op, { merge: { path: 'config', value: { color: 'green' } } });
await watcher.return?.(); // stop watching

// A consumer that saved the seq it had processed resumes from the next one.
const resumed = n2.watch('config', { fromSeq: sizeSeq + 1 });
console.log(`resumed after seq ${sizeSeq}:`);
const first = show((await net.settle(resumed.next(), { timeoutMs: 1000 })).value as UpdateRecord);
assert.equal(first.seq, live.seq, 'resuming after a seq yields the next commit under the prefix, nothing before it');
await resumed.return?.();

await net.settle(Promise.all(nodes.map((n) => n.leave())), { timeoutMs: 5000 });
console.log('done');
