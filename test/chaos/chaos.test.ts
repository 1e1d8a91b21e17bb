/**
 * scripts/chaos.ts, short: kill -9 loops (the manager among them), a SIGSTOPped manager and a
 * nats-server restart against five `glup node` processes, with no acked update lost and
 * every node's data directory identical afterwards. CI runs it again for 60 s (.ci/run).
 * The verdict logic itself is checked on made-up data first, so a run that passes means it
 * looked.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { emptyDb } from '../../src/db/types.js';
import type { NodeData } from '../../src/persistence/readBack.js';
import { verify } from '../../scripts/chaos/verify.js';
import { repoRoot } from '../helpers/cli.js';

const nodeData = (lastSeq: number, values: Record<string, number>): NodeData => {
  const db = emptyDb('chaos');
  db.meta.seq = lastSeq;
  db.data = { chaos: values };
  return { lastSeq, committedSeq: lastSeq, db, warnings: [] };
};

test('the verdict: an acked update missing on one node is lost there; a node behind is not identical', (t) => {
  const acked = new Map([
    [0, 2],
    [1, 3],
  ]);
  const all = nodeData(3, { u0: 0, u1: 1 });
  t.deepEqual(verify(acked, new Map([['n1', all], ['n2', nodeData(3, { u0: 0, u1: 1 })]])), { lost: [], identical: true, seqs: { n1: 3, n2: 3 } });
  const v = verify(acked, new Map([['n1', all], ['n2', nodeData(2, { u0: 0 })]]));
  t.deepEqual(v.lost, [{ i: 1, seq: 3, nodes: ['n2'] }]);
  t.false(v.identical);
  // same seq, different data: not identical either
  t.false(verify(new Map(), new Map([['n1', all], ['n2', nodeData(3, { u0: 0, u1: 7 })]])).identical);
});

test('npm run chaos -- --seconds 20: every acked update on every node, data identical', async (t) => {
  t.timeout(300_000);
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile('npx', ['tsx', 'scripts/chaos.ts', '--seconds', '20'], { cwd: repoRoot, maxBuffer: 64 << 20 }, (err, out, errOut) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: out, stderr: errOut }),
    );
  });
  const last = stdout.trim().split('\n').at(-1) ?? '';
  t.log(last);
  let result: Record<string, unknown>;
  try {
    result = JSON.parse(last) as Record<string, unknown>;
  } catch {
    t.fail(`no JSON line (exit ${code}); stderr:\n${stderr.slice(-4000)}`);
    return;
  }
  t.is(result.lost, 0, stderr.slice(-4000));
  t.true(result.identical, stderr.slice(-4000));
  t.is(code, 0);
  t.true((result.kills as number) >= 2 && (result.managerKills as number) >= 1, 'nodes were killed, the manager among them');
  t.true((result.pauses as number) >= 1, 'the manager was paused');
  t.true((result.natsRestarts as number) >= 1, 'nats-server was restarted');
  t.true((result.acked as number) > 0);
});
