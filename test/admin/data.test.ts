/**
 * The data commands' client (src/admin/data.ts) and node side (src/actors/dataAdmin.ts) on
 * the memory network in virtual time: a tool endpoint `cli-t` beside three nodes.
 */
import test from 'ava';
import { dataGet, dataWatch, dataWrite } from '../../src/admin/data.js';
import { clusterStatus } from '../../src/admin/client.js';
import type { UpdateRecord } from '../../src/db/types.js';
import { GlupError } from '../../src/errors.js';
import { simCluster } from '../helpers/simCluster.js';

async function cluster() {
  const c = simCluster(['n1', 'n2', 'n3']);
  await c.startAll();
  const tool = { cluster: 'sim', as: 'cli-t', transport: c.net.transport('cli-t') };
  const settle = <T>(p: Promise<T>, timeoutMs = 20_000) => c.net.settle(p, { timeoutMs });
  return { c, tool, settle };
}

test('put, get, cas and delete round trip through GLUP and report the seq', async (t) => {
  const { c, tool, settle } = await cluster();
  const put = await settle(dataWrite(tool, { action: 'put', path: 'config.color', value: 'blue' }));
  t.is(put.epoch, c.managers()[0]!.epoch);
  const got = await settle(dataGet(tool, 'config.color'));
  t.like(got, { path: 'config.color', value: 'blue', seq: put.seq, node: c.managers()[0]!.id });
  const swapped = await settle(dataWrite(tool, { action: 'cas', path: 'config.color', expect: 'blue', value: 'red' }));
  t.is(swapped.seq, put.seq + 1);
  const refused = await t.throwsAsync(settle(dataWrite(tool, { action: 'cas', path: 'config.color', expect: 'blue', value: 'green' })), { instanceOf: GlupError });
  t.is(refused.code, 'CAS_FAILED');
  await settle(dataWrite(tool, { action: 'delete', path: 'config.color' }));
  t.like(await settle(dataGet(tool, 'config.color')), { value: null });
  await c.net.runUntil(() => c.converged(), { timeoutMs: 2000 });
  t.deepEqual(c.node('n3').db.data, { config: {} });
});

test('a submission id resent through another node is committed once', async (t) => {
  const { c, settle } = await cluster();
  const op = { set: { path: 'counter', value: 1 } };
  const first = await settle(c.node('n2').update(op, { id: 'cli-t:abc' }));
  // the tool lost the answer and tries again, through n3, then n2 again
  const again = await settle(c.node('n3').update(op, { id: 'cli-t:abc' }));
  const third = await settle(c.node('n2').update(op, { id: 'cli-t:abc' }));
  t.deepEqual(again, first);
  t.deepEqual(third, first);
  const log = await settle(c.node('n1').replica.store.readRange(1, c.node('n1').committedSeq));
  t.is(log.filter((r) => r.id === 'cli-t:abc').length, 1);
});

test('a node refuses a tool submission id that does not start with the tool id', async (t) => {
  const { c, settle } = await cluster();
  const manager = c.managers()[0]!.id;
  const { withSession } = await import('../../src/admin/session.js');
  const e = await t.throwsAsync(
    settle(withSession({ cluster: 'sim', as: 'cli-t', transport: c.net.transport('cli-t') }, (s) => s.ask(manager, { action: 'put', path: 'x', value: 1, id: 'n2:1:1' }, 2000))),
    { instanceOf: GlupError },
  );
  t.is(e.code, 'INVALID_OP');
  t.regex(e.message, /submission id must be a string "cli-t:<unique>"/);
});

test('watch from a seq prints history then live updates under the prefix, and moves on when its node stops', async (t) => {
  const { c, tool, settle } = await cluster();
  const a = await settle(dataWrite(tool, { action: 'put', path: 'config.a', value: 1 }));
  await settle(dataWrite(tool, { action: 'put', path: 'other', value: 1 }));
  const seen: UpdateRecord[] = [];
  const stop = new AbortController();
  const watching = dataWatch(tool, 'config', a.seq, (r) => seen.push(r), stop.signal);
  await c.net.runUntil(() => seen.length === 1, { timeoutMs: 5000 });
  const b = await settle(dataWrite(tool, { action: 'put', path: 'config.b', value: 2 }));
  await c.net.runUntil(() => seen.length === 2, { timeoutMs: 5000 });
  // the watch is served by the manager: kill it, the watch resumes on the next manager without a gap or a repeat
  const served = c.managers()[0]!;
  await served.kill();
  await c.net.runUntil(() => c.managers().length === 1, { timeoutMs: 10_000 });
  const d = await settle(dataWrite(tool, { action: 'put', path: 'config.d', value: 4 }));
  await c.net.runUntil(() => seen.some((r) => r.seq === d.seq), { timeoutMs: 15_000 });
  stop.abort();
  await settle(watching);
  const dataSeqs = seen.filter((r) => 'set' in r.op).map((r) => r.seq);
  t.deepEqual(dataSeqs, [a.seq, b.seq, d.seq]);
  t.deepEqual(seen.map((r) => r.seq), [...new Set(seen.map((r) => r.seq))].sort((x, y) => x - y), 'in seq order, no repeats');
});

test('status without a manager shows the isolated survivors and the unreachable members', async (t) => {
  const { c, tool, settle } = await cluster();
  const [manager, ...others] = ['n1', 'n2', 'n3'].map((id) => c.node(id)).sort((x) => (x.role === 'manager' ? -1 : 1));
  await manager!.kill();
  await others[0]!.kill();
  const survivor = others[1]!;
  await c.net.runUntil(() => survivor.role === 'isolated', { timeoutMs: 20_000 });
  const s = await settle(clusterStatus({ ...tool, timeoutMs: 1000 }));
  t.is(s.manager, null);
  t.like(s.nodes[survivor.id], { role: 'isolated', status: 'isolated', lag: 0 });
  t.like(s.nodes[manager!.id], { status: 'unreachable', seq: null });
  t.like(s.nodes[others[0]!.id], { status: 'unreachable', seq: null });
});
