/**
 * Helpers for hosted-actor tests: a memory cluster whose nodes define actor types, and the
 * record of every committed actor state (invariant 8's input) as the nodes announced it.
 */
import type { AnyStateMachine } from 'xstate';
import type { NodeRuntime } from '../../src/actors/runtime.js';
import { actorCommitOf, registrationsOf } from '../../src/actors/hosted/records.js';
import type { DefineOptions } from '../../src/actors/hosted/types.js';
import type { UpdateRecord } from '../../src/db/types.js';
import type { ActorCommitObservation } from '../../src/sim/invariantActors.js';
import { simCluster, type SimNodeSpec } from './simCluster.js';

export interface TypeSpec {
  type: string;
  machine: AnyStateMachine;
  opts: DefineOptions;
}

/** Records every committed actor state any node announced (one entry per seq is enough for the checker). */
export class CommitLog {
  readonly commits: ActorCommitObservation[] = [];
  readonly seqs = new Set<number>();
  watch(node: NodeRuntime, now: () => number): void {
    node.on('update', (rec: UpdateRecord) => {
      this.seqs.add(rec.seq);
      const c = actorCommitOf(rec);
      if (c) this.commits.push({ seq: rec.seq, type: c.type, key: c.key, version: c.version, by: c.by, seen: c.seen, t: now() });
    });
  }
}

/** A virtual-time cluster whose every node defines `types` before it starts. */
export function actorCluster(specs: (string | SimNodeSpec)[], types: TypeSpec[], opts: Parameters<typeof simCluster>[1] = {}) {
  const c = simCluster(specs, opts);
  const log = new CommitLog();
  const prepare = (n: NodeRuntime) => {
    for (const t of types) n.actors.define(t.type, t.machine, t.opts);
    log.watch(n, () => c.net.now());
  };
  for (const n of c.nodes.values()) prepare(n);
  const ids = [...c.nodes.keys()];
  return {
    ...c,
    log,
    /** Starts every node and waits until every live node sees every node's registrations. */
    async startAll(timeoutMs = 10_000) {
      await c.startAll(timeoutMs);
      await c.net.runUntil(() => c.live().every((n) => types.every((t) => ids.every((id) => registrationsOf(n.db, t.type)[id]))), { timeoutMs });
    },
    async restart(id: string) {
      const fresh = await c.restart(id);
      prepare(fresh);
      return fresh;
    },
    within<T>(p: Promise<T>, timeoutMs = 10_000): Promise<T> {
      return c.net.settle(p, { timeoutMs });
    },
    /** Where an actor is active now (null: nowhere). */
    hostOf(type: string, key: string): NodeRuntime | null {
      return c.live().find((n) => n.actors.list().some((a) => a.type === type && a.key === key)) ?? null;
    },
  };
}
