import test from 'ava';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simCluster } from '../helpers/simCluster.js';
import { createNode, memoryNetwork } from '../../src/index.js';
import type { UpdateRecord } from '../../src/db/types.js';

test('watch(prefix, { fromSeq }) replays committed history from the log, then follows live commits', async (t) => {
  const c = simCluster(['n1', 'n2', 'n3']);
  await c.startAll();
  const n3 = c.node('n3');
  const first = await c.net.settle(n3.update({ set: { path: 'config.color', value: 'blue' } }), { timeoutMs: 2000 });
  await c.net.settle(n3.update({ set: { path: 'other.x', value: 1 } }), { timeoutMs: 2000 });
  const seen: UpdateRecord[] = [];
  const it = c.node('n2').watch('config', { fromSeq: 1 });
  const reading = (async () => {
    for await (const r of it) {
      seen.push(r);
      if (seen.length === 3) break;
    }
  })();
  await c.net.settle(n3.update({ merge: { path: 'config', value: { size: 2 } } }), { timeoutMs: 2000 });
  await c.net.settle(n3.update({ set: { path: 'config.shade', value: 'dark' } }), { timeoutMs: 2000 });
  await c.net.settle(reading, { timeoutMs: 2000 });
  t.deepEqual(seen.map((r) => r.seq), [first.seq, first.seq + 2, first.seq + 3]);
  t.true(seen.every((r, i) => i === 0 || r.seq > seen[i - 1]!.seq), 'in seq order');
});

test('watch without fromSeq starts at the next commit, and ends when the node stops', async (t) => {
  const c = simCluster(['n1', 'n2', 'n3']);
  await c.startAll();
  await c.net.settle(c.node('n1').update({ set: { path: 'a', value: 1 } }), { timeoutMs: 2000 });
  await c.net.runUntil(() => c.converged(), { timeoutMs: 1000 });
  const seen: number[] = [];
  const reading = (async () => {
    for await (const r of c.node('n2').watch('')) seen.push(r.seq);
  })();
  const r = await c.net.settle(c.node('n1').update({ set: { path: 'b', value: 2 } }), { timeoutMs: 2000 });
  await c.net.advance(10);
  await c.node('n2').kill();
  await c.net.settle(reading, { timeoutMs: 1000 });
  t.deepEqual(seen, [r.seq]);
});

test('createNode keeps its log in a file store under dataDir by default', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'glup-default-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const net = memoryNetwork({ seed: 1, virtualTime: true });
  const node = createNode({ cluster: 'solo', id: 'n1', transport: net.transport('n1'), heartbeatMs: 50, dataDir: dir, initialMembers: ['n1'] });
  await net.settle(node.start(), { timeoutMs: 5000 });
  await net.settle(node.update({ set: { path: 'k', value: 'v' } }), { timeoutMs: 2000 });
  await node.kill();
  t.true(existsSync(join(dir, 'solo', 'n1', 'log.jsonl')));
  const again = createNode({ cluster: 'solo', id: 'n1', transport: net.transport('n1'), heartbeatMs: 50, dataDir: dir, initialMembers: ['n1'] });
  await net.settle(again.start(), { timeoutMs: 5000 });
  t.deepEqual(again.db.data, { k: 'v' });
  await again.kill();
});
