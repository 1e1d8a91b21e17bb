/**
 * Process-group views under faults (SPEC 7, invariant 12.5), as a property over seeds: with
 * messages dropped, duplicated and delayed, members joining and leaving concurrently from
 * several nodes and one node killed, every member is told the same sequence of views —
 * the one the committed log defines, from the view it joined in, none skipped — and the
 * killed node's members are gone from every view after its removal.
 *
 * Memory network, virtual time: each seed is one deterministic run (reproduce with it).
 */
import test, { type ExecutionContext } from 'ava';
import { memoryCluster } from '../helpers/protocolCluster.js';
import { viewHistory, viewRecorder, viewSliceMismatch, type ViewEntry } from '../../src/sim/groupViews.js';
import { createRandom } from '../../src/random.js';
import type { GroupHandle } from '../../src/actors/types.js';
import type { UpdateRecord } from '../../src/db/types.js';

const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
const groups = ['g', 'h'];
const seeds = Array.from({ length: 30 }, (_, i) => i + 1);

interface Member {
  node: string;
  group: string;
  handle: GroupHandle;
  views: ViewEntry[];
}

async function runSeed(seed: number) {
  const c = memoryCluster(ids, { seed });
  const random = createRandom(seed).fork('workload');
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random.next() * list.length)]!;
  await c.startAll();
  c.faults.set({ drop: 0.02, duplicate: 0.2, delayMs: [0, 20] });

  const members: Member[] = [];
  let processes = 0;
  const join = async (node: string, group: string) => {
    const rec = viewRecorder();
    const handle = await c.node(node).joinGroup(group, `p${++processes}`, { onView: rec.onView });
    members.push({ node, group, handle, views: rec.views });
  };
  const alive = () => ids.filter((id) => c.node(id).role !== 'stopped');
  const round = async (actions: number) => {
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < actions; i++) {
      const node = pick(alive());
      const mine = members.filter((m) => m.node === node && !left.has(m));
      if (mine.length && random.next() < 0.4) {
        const m = pick(mine);
        left.add(m);
        work.push(m.handle.leave().catch(() => {}));
      } else {
        work.push(join(node, pick(groups)).catch(() => {}));
      }
    }
    await c.settle(Promise.all(work), 30_000);
  };
  const left = new Set<Member>();

  await c.settle(Promise.all(ids.flatMap((id) => groups.map((g) => join(id, g)))), 30_000);
  for (let r = 0; r < 3; r++) await round(4);
  const victim = pick(ids);
  await c.kill(victim);
  for (let r = 0; r < 2; r++) await round(3);
  c.faults.clear();
  await c.runUntil(() => c.converged() && c.live().every((n) => !(victim in n.db.nodes)), 20_000);
  return { c, members, victim };
}

/** The seq of the update that joined member `m`: the first view it must be told. */
function joinSeq(log: readonly UpdateRecord[], m: Member): number {
  const r = log.find((x) => 'groupJoin' in x.op && x.op.groupJoin.group === m.group && `${x.op.groupJoin.process}@${x.op.groupJoin.node}` === m.handle.memberId);
  return r?.seq ?? -1;
}

async function checkSeed(t: ExecutionContext, seed: number, contiguous: boolean): Promise<void> {
  const { c, members, victim } = await runSeed(seed);
  const reference = c.live().reduce((a, b) => (a.replica.firstHeldSeq <= b.replica.firstHeldSeq ? a : b));
  t.is(reference.replica.firstHeldSeq, 1, 'a survivor holds the whole log');
  const log = reference.replica.range(1, reference.committedSeq);
  const removal = log.find((r) => 'membership' in r.op && r.op.membership.remove?.some((x) => x.id === victim));
  t.truthy(removal, `the log removes ${victim}`);
  for (const group of groups) {
    const truth = viewHistory(log, 'sim', group);
    for (const m of members.filter((x) => x.group === group)) {
      const joined = joinSeq(log, m);
      // views announced while the join was still pending are the strict test's business (below)
      const seen = contiguous ? m.views : m.views.filter((v) => v.view >= joined);
      const mismatch = viewSliceMismatch(seen, truth, joined, { contiguous });
      t.is(mismatch, null, `${group}: ${m.handle.memberId}`);
    }
    for (const v of truth.filter((x) => x.view >= removal!.seq)) {
      t.false(v.members.some((id) => id.endsWith(`@${victim}`)), `${group} view ${v.view} lists no member of ${victim}`);
    }
    for (const n of c.live()) {
      t.deepEqual(Object.keys(n.db.groups[group]?.members ?? {}).filter((id) => id.endsWith(`@${victim}`)), [], `${n.id}'s db lists no member of ${victim} in ${group}`);
    }
  }
  // survivors' members still in their group were told its final view
  for (const m of members.filter((x) => x.node !== victim)) {
    const truth = viewHistory(log, 'sim', m.group);
    const final = truth[truth.length - 1]!;
    if (final.members.includes(m.handle.memberId)) t.is(m.views[m.views.length - 1]?.view, final.view, `${m.handle.memberId} was told the final view`);
  }
}

for (const seed of seeds) {
  test(`seed ${seed}: every member is told every view from its join on, none skipped, with the log's members; the killed node's members leave every view`, async (t) => {
    await checkSeed(t, seed, true);
  });
}
