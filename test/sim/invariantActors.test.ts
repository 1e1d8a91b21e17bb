/**
 * Invariant 8's checker on fabricated histories: one chain of versions per actor, no
 * activation committing after another took over, and acknowledged asks in every later state.
 */
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSeed } from '../../src/sim/run.js';
import { checkActorChains, type ActorAckObservation, type ActorCommitObservation } from '../../src/sim/invariantActors.js';

const commit = (seq: number, version: number, by: string, seen: Record<string, number> = {}, key = 'k'): ActorCommitObservation => ({ seq, type: 'counter', key, version, by, seen, t: seq });
const ack = (version: number, eventId: string, key = 'k'): ActorAckObservation => ({ type: 'counter', key, version, eventId, node: 'n1', t: 0 });

test('a clean chain with a hand-over between activations passes', (t) => {
  const commits = [commit(3, 1, 'n1:1:0:1', { 'n1:1:0': 1 }), commit(5, 2, 'n1:1:0:1', { 'n1:1:0': 2 }), commit(9, 3, 'n2:1:0:1', { 'n1:1:0': 3 })];
  t.deepEqual(checkActorChains(commits, [ack(2, 'n1:1:0#2'), ack(3, 'n1:1:0#3')]), []);
});

test('two activations committing from the same version are caught', (t) => {
  const v = checkActorChains([commit(3, 1, 'a'), commit(4, 2, 'a'), commit(6, 2, 'b')], []);
  t.is(v.length, 1);
  t.is(v[0]!.invariant, 'actor-state-chain');
  t.regex(v[0]!.detail, /version 2 committed twice, by a \(seq 4\) and by b \(seq 6\)/);
});

test('a version that skips one is caught when every seq in between was observed', (t) => {
  const v = checkActorChains([commit(1, 1, 'a'), commit(2, 3, 'a')], []);
  t.regex(v[0]!.detail, /version 3 committed at seq 2 right after version 1/);
  // with seq 2..3 unobserved (every node installed a snapshot over it) the gap is not judged
  t.deepEqual(checkActorChains([commit(1, 1, 'a'), commit(4, 3, 'a')], [], new Set([1, 4])), []);
});

test('an activation that commits again after another took over is caught', (t) => {
  const v = checkActorChains([commit(1, 1, 'a'), commit(2, 2, 'b'), commit(3, 3, 'a')], []);
  t.is(v.length, 1);
  t.regex(v[0]!.detail, /activation a committed version 3 \(seq 3\) after another activation had taken over/);
});

test('an acknowledged ask missing from a later state is caught', (t) => {
  const commits = [commit(1, 1, 'a', { c1: 1 }), commit(2, 2, 'b', { c1: 0 }), commit(3, 3, 'b', { c1: 2 })];
  const v = checkActorChains(commits, [ack(1, 'c1#1')]);
  t.is(v.length, 1);
  t.regex(v[0]!.detail, /ask c1#1 acknowledged at version 1 is missing from version 2/);
});

test('an ask acknowledged at a version nobody committed is caught', (t) => {
  const v = checkActorChains([commit(1, 1, 'a', { c1: 1 })], [ack(2, 'c1#2')]);
  t.regex(v[0]!.detail, /acknowledged at version 2, which no node committed/);
});

test('chains of different actors are judged apart, and one seq seen on many nodes counts once', (t) => {
  const commits = [commit(1, 1, 'a', {}, 'x'), commit(1, 1, 'a', {}, 'x'), commit(2, 1, 'b', {}, 'y'), commit(3, 2, 'a', {}, 'x')];
  t.deepEqual(checkActorChains(commits, []), []);
});

test('glup sim with the actors workload feeds invariant 8 and finds no violation', async (t) => {
  t.timeout(5 * 60_000, 'virtual-time runs, slow only on a loaded machine');
  const outDir = await mkdtemp(join(tmpdir(), 'glup-sim-actors-'));
  t.teardown(() => rm(outDir, { recursive: true, force: true }));
  const r = await runSeed(1, { seeds: 1, nodes: 5, steps: 40, faults: ['kill', 'restart', 'partition'], workloads: ['data', 'actors'], shrinkRuns: 0 }, { outDir });
  t.true(r.observed.actorAcks > 0 && r.observed.actorCommits >= r.observed.actorAcks / 10, `actor checkers fed: ${JSON.stringify(r.observed)}`);
  t.deepEqual(r.violations, []);
});
