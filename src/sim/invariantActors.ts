/**
 * Invariant 8 (SPEC section 12): for every hosted actor, the committed state versions form
 * one chain — no two activations ever commit from the same version — and an acknowledged
 * `ask` is reflected in every later state. Pure functions over what the nodes committed
 * (their `update` events, read with `actorCommitOf`) and what the asks resolved with, so the
 * tests feed them fabricated histories.
 *
 * "Reflected" is read from the state records themselves: each record keeps, per sender
 * channel, the highest event number its state includes (docs/actors.md). An ask answered
 * with event `<channel>#<n>` at version V must be in V and in every version after it. A
 * record that already remembers MAX_SEEN_CHANNELS other channels may have forgotten it: then
 * it is not judged.
 */
import { MAX_SEEN_CHANNELS } from '../actors/hosted/records.js';
import type { Violation } from './invariants.js';

/** One committed state record of an actor (seen on any node: one per seq is kept). */
export interface ActorCommitObservation {
  seq: number;
  type: string;
  key: string;
  version: number;
  /** The activation that committed it. */
  by: string;
  seen: Record<string, number>;
  t: number;
}

/** An ask that resolved: the caller was told its event is in `version`. */
export interface ActorAckObservation {
  type: string;
  key: string;
  version: number;
  /** `<channel>#<n>` */
  eventId: string;
  node: string;
  t: number;
  step?: number;
}

export function checkActorChains(commits: readonly ActorCommitObservation[], acks: readonly ActorAckObservation[], observedSeqs?: ReadonlySet<number>): Violation[] {
  const out: Violation[] = [];
  const fail = (detail: string, t?: number) => out.push({ invariant: 'actor-state-chain', detail, ...(t !== undefined && { t }) });
  const bySeq = new Map<number, ActorCommitObservation>();
  for (const c of commits) if (!bySeq.has(c.seq)) bySeq.set(c.seq, c);
  const seqs = observedSeqs ?? new Set(bySeq.keys());
  const chains = new Map<string, ActorCommitObservation[]>();
  for (const c of [...bySeq.values()].sort((a, b) => a.seq - b.seq)) {
    const id = `${c.type}/${c.key}`;
    let chain = chains.get(id);
    if (!chain) chains.set(id, (chain = []));
    chain.push(c);
  }
  for (const [id, chain] of chains) {
    const retired = new Set<string>();
    let prev: ActorCommitObservation | null = null;
    for (const c of chain) {
      const expected = prev ? prev.version + 1 : 1;
      if (c.version < expected) {
        const earlier = chain.find((x) => x.version === c.version && x !== c);
        fail(`actor ${id}: version ${c.version} committed twice, by ${earlier?.by ?? '?'} (seq ${earlier?.seq ?? '?'}) and by ${c.by} (seq ${c.seq}): two activations committed from version ${c.version - 1}`, c.t);
      } else if (c.version > expected && (prev === null ? allSeen(seqs, 1, c.seq) : allSeen(seqs, prev.seq + 1, c.seq))) {
        fail(`actor ${id}: version ${c.version} committed at seq ${c.seq} right after version ${expected - 1}: not from the version before it`, c.t);
      }
      if (prev && prev.by !== c.by) {
        retired.add(prev.by);
        if (retired.has(c.by)) fail(`actor ${id}: activation ${c.by} committed version ${c.version} (seq ${c.seq}) after another activation had taken over`, c.t);
      }
      prev = c;
    }
  }
  for (const a of acks) {
    const id = `${a.type}/${a.key}`;
    const hash = a.eventId.lastIndexOf('#');
    const channel = a.eventId.slice(0, hash);
    const n = Number(a.eventId.slice(hash + 1));
    const chain = chains.get(id) ?? [];
    if (!chain.some((c) => c.version === a.version)) {
      fail(`actor ${id}: ask ${a.eventId} from ${a.node} was acknowledged at version ${a.version}, which no node committed`, a.t);
      continue;
    }
    for (const c of chain) {
      if (c.version < a.version) continue;
      const has = c.seen[channel];
      if (has === undefined && Object.keys(c.seen).length >= MAX_SEEN_CHANNELS) continue;
      if (has === undefined || has < n) {
        fail(`actor ${id}: ask ${a.eventId} acknowledged at version ${a.version} is missing from version ${c.version} (seq ${c.seq}, by ${c.by}): it holds ${channel} up to ${has ?? 'nothing'}`, c.t);
        break;
      }
    }
  }
  return out;
}

function allSeen(seqs: ReadonlySet<number>, from: number, to: number): boolean {
  for (let s = from; s < to; s++) if (!seqs.has(s)) return false;
  return true;
}
