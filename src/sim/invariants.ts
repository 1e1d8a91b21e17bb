/**
 * The invariants of SPEC section 12 (quorum: majority) as pure functions over what a run
 * was seen to do. The observations come from the public surface of the nodes (events,
 * `db`, `committedSeq`, `role`, metrics) — never from inside the actors — so the same
 * checkers run on fabricated histories in the tests.
 */
import { createHash } from 'node:crypto';

export type InvariantId =
  | 'one-manager-per-epoch'
  | 'committed-prefix'
  | 'acked-updates-survive'
  | 'settles-after-heal'
  | 'group-views'
  | 'no-crash'
  | 'membership-one-at-a-time'
  | 'actor-state-chain';

/** Number of each invariant in SPEC section 12 (5, 7 and 8 live in invariantGroups.ts, invariantMembership.ts and invariantActors.ts). */
export const INVARIANT_NUMBER: Record<InvariantId, number> = {
  'one-manager-per-epoch': 1,
  'committed-prefix': 2,
  'acked-updates-survive': 3,
  'settles-after-heal': 4,
  'group-views': 5,
  'no-crash': 6,
  'membership-one-at-a-time': 7,
  'actor-state-chain': 8,
};

export interface Violation {
  invariant: InvariantId;
  detail: string;
  /** Virtual time of the observation that broke it, when known. */
  t?: number;
}

/** A node held the manager role in an epoch (role event, or a committed manager change). */
export interface ManagerObservation {
  node: string;
  epoch: number;
  t: number;
}

/** One committed record as a node announced it (`update` event), with the state it left. */
export interface CommitObservation {
  node: string;
  /** Counts the node's starts: a restarted node is a new incarnation resuming from its store. */
  incarnation: number;
  seq: number;
  epoch: number;
  id: string;
  origin: string;
  /** Digest of the committed database right after this record on that node. */
  dbDigest: string;
  t: number;
}

/** An update step that resolved: the submitter was told {seq, epoch}. */
export interface AckObservation {
  step: number;
  node: string;
  seq: number;
  epoch: number;
  t: number;
}

/** A node as it stood when the run had settled (every node restarted and live by then). */
export interface FinalNodeObservation {
  id: string;
  role: string;
  qualified: boolean;
  manager: string | null;
  backup: string | null;
  committedSeq: number;
  dbDigest: string;
  /** Ids in this node's committed membership. */
  members: string[];
}

export interface CrashObservation {
  node: string;
  what: string;
  t: number;
}

/** Invariant 1: at most one manager per epoch. */
export function checkOneManagerPerEpoch(managers: readonly ManagerObservation[]): Violation[] {
  const byEpoch = new Map<number, ManagerObservation>();
  const out: Violation[] = [];
  for (const m of managers) {
    const first = byEpoch.get(m.epoch);
    if (!first) byEpoch.set(m.epoch, m);
    else if (first.node !== m.node) {
      out.push({
        invariant: 'one-manager-per-epoch',
        detail: `epoch ${m.epoch} has two managers: ${first.node} (t=${first.t}) and ${m.node} (t=${m.t})`,
        t: m.t,
      });
    }
  }
  return out;
}

/**
 * Invariant 2: one committed prefix. Every node that committed a seq committed the same
 * (epoch, id) there and reached the same database; within one incarnation a node announces
 * seqs in increasing order without duplicates. A jump over seqs is a snapshot install and
 * is allowed only when it lands on the state every other node had at that seq.
 */
export function checkCommittedPrefix(commits: readonly CommitObservation[]): Violation[] {
  const out: Violation[] = [];
  const reference = new Map<number, CommitObservation>();
  const lastOf = new Map<string, number>();
  for (const c of commits) {
    const key = `${c.node}#${c.incarnation}`;
    const last = lastOf.get(key);
    if (last !== undefined && c.seq <= last) {
      out.push({
        invariant: 'committed-prefix',
        detail: `${c.node} committed seq ${c.seq} after seq ${last} (${c.seq === last ? 'duplicate' : 'out of order'})`,
        t: c.t,
      });
    }
    lastOf.set(key, Math.max(c.seq, last ?? 0));
    const ref = reference.get(c.seq);
    if (!ref) {
      reference.set(c.seq, c);
      continue;
    }
    if (ref.epoch !== c.epoch || ref.id !== c.id) {
      out.push({
        invariant: 'committed-prefix',
        detail: `seq ${c.seq}: ${ref.node} committed ${ref.id} (epoch ${ref.epoch}), ${c.node} committed ${c.id} (epoch ${c.epoch})`,
        t: c.t,
      });
    } else if (ref.dbDigest !== c.dbDigest) {
      out.push({
        invariant: 'committed-prefix',
        detail: `seq ${c.seq}: ${c.node}'s database after ${c.id} differs from ${ref.node}'s${last !== undefined && c.seq > last + 1 ? ` (it jumped from seq ${last})` : ''}`,
        t: c.t,
      });
    }
  }
  return out;
}

/**
 * Invariant 3: an update acked to its submitter is what every node committed at its seq,
 * and every node holds it at the end (committed seq at or past it, in a state of the prefix).
 */
export function checkAckedUpdates(
  acks: readonly AckObservation[],
  commits: readonly CommitObservation[],
  final: readonly FinalNodeObservation[],
): Violation[] {
  const out: Violation[] = [];
  const atSeq = new Map<number, CommitObservation[]>();
  for (const c of commits) {
    let l = atSeq.get(c.seq);
    if (!l) atSeq.set(c.seq, (l = []));
    l.push(c);
  }
  for (const a of acks) {
    const seen = atSeq.get(a.seq) ?? [];
    const own = seen.find((c) => c.node === a.node && c.epoch === a.epoch && c.origin === a.node);
    if (!own) {
      out.push({
        invariant: 'acked-updates-survive',
        detail: `step ${a.step}: update acked to ${a.node} as seq ${a.seq} epoch ${a.epoch}, but ${a.node} never committed its own record there`,
        t: a.t,
      });
      continue;
    }
    for (const c of seen) {
      if (c.id !== own.id) {
        out.push({
          invariant: 'acked-updates-survive',
          detail: `step ${a.step}: update ${own.id} acked as seq ${a.seq}, but ${c.node} committed ${c.id} there`,
          t: c.t,
        });
      }
    }
    for (const f of final) {
      if (f.committedSeq < a.seq) {
        out.push({
          invariant: 'acked-updates-survive',
          detail: `step ${a.step}: update ${own.id} acked as seq ${a.seq}, but ${f.id} ended at committed seq ${f.committedSeq}`,
        });
      }
    }
  }
  return out;
}

/** Invariant 2 at the end: what each node's db shows is the state of the prefix at its seq. */
export function checkFinalStates(final: readonly FinalNodeObservation[], commits: readonly CommitObservation[]): Violation[] {
  const out: Violation[] = [];
  const stateAt = new Map<number, CommitObservation>();
  for (const c of commits) if (!stateAt.has(c.seq)) stateAt.set(c.seq, c);
  for (const f of final) {
    const ref = stateAt.get(f.committedSeq);
    if (ref && ref.dbDigest !== f.dbDigest) {
      out.push({
        invariant: 'committed-prefix',
        detail: `${f.id} shows a database at seq ${f.committedSeq} that differs from the state ${ref.node} committed there`,
      });
    }
  }
  return out;
}

/**
 * Invariant 4, once faults stopped, the network healed, every node is back and the bound
 * passed: one manager, a backup when a qualified member other than it exists, every node a
 * member naming that manager, all converged on the same seq and database.
 */
export function checkSettled(final: readonly FinalNodeObservation[]): Violation[] {
  const fail = (detail: string): Violation[] => [{ invariant: 'settles-after-heal', detail }];
  const managers = final.filter((f) => f.role === 'manager');
  if (managers.length !== 1) return fail(`expected one manager after the heal, found ${managers.length} (${managers.map((m) => m.id).join(', ') || 'none'})`);
  const manager = managers[0]!;
  const notMembers = final.filter((f) => !['manager', 'backup', 'client'].includes(f.role));
  if (notMembers.length) return fail(`nodes not members after the heal: ${notMembers.map((f) => `${f.id} (${f.role})`).join(', ')}`);
  const astray = final.filter((f) => f.manager !== manager.id);
  if (astray.length) return fail(`nodes naming another manager than ${manager.id}: ${astray.map((f) => `${f.id} → ${f.manager}`).join(', ')}`);
  const missing = final.filter((f) => !manager.members.includes(f.id));
  if (missing.length) return fail(`live nodes missing from ${manager.id}'s membership: ${missing.map((f) => f.id).join(', ')}`);
  const qualifiedOthers = final.filter((f) => f.id !== manager.id && f.qualified && manager.members.includes(f.id));
  if (qualifiedOthers.length && (manager.backup === null || !qualifiedOthers.some((f) => f.id === manager.backup))) {
    return fail(`no backup after the heal although ${qualifiedOthers.map((f) => f.id).join(', ')} qualify (backup: ${manager.backup})`);
  }
  const differ = final.filter((f) => f.committedSeq !== manager.committedSeq || f.dbDigest !== manager.dbDigest);
  if (differ.length) {
    return fail(
      `not converged on ${manager.id}'s seq ${manager.committedSeq}: ${differ.map((f) => `${f.id} at seq ${f.committedSeq}${f.committedSeq === manager.committedSeq ? ' with another database' : ''}`).join(', ')}`,
    );
  }
  return [];
}

/** Invariant 6: no node threw (handler errors, logged errors, unhandled rejections). */
export function checkNoCrash(crashes: readonly CrashObservation[]): Violation[] {
  return crashes.map((c) => ({ invariant: 'no-crash' as const, detail: `${c.node}: ${c.what}`, t: c.t }));
}

/** A digest of a database that does not depend on key insertion order. */
export function dbDigest(db: unknown): string {
  return createHash('sha1').update(canonicalJson(db)).digest('hex');
}

function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}
