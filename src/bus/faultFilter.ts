import type { Clock } from '../clock.js';
import { GlupError } from '../errors.js';
import type { Random } from '../random.js';
import type { FaultSettings, Faults } from './faults.js';

/**
 * The fault filter (SPEC section 8), shared by the buses of all nodes of a simulation or
 * scenario and consulted by each bus on the RECEIVING side, keyed by the envelope's `from`.
 *
 * Fault model:
 * - can be lost: a message between two nodes on different sides of a partition (always),
 *   or with probability `drop`;
 * - can be delivered twice: with probability `duplicate` (the copy is a second delivery
 *   of the same envelope, same id);
 * - can be delivered late: each copy by a uniform extra delay in `delayMs`, which reorders
 *   it behind later messages;
 * - never touched: a node's messages to itself, and the bytes of any message.
 * `between` limits drop/duplicate/delay to the listed unordered pairs; partitions always
 * apply. A node listed in no side of a partition is alone on a side of its own.
 *
 * Each (from, to) pair draws from its own PRNG stream, so the order in which different
 * receivers consult the filter cannot change another pair's fate.
 */
export interface FaultChange {
  /** Clock time of the change (absent without a clock). */
  at?: number;
  change: 'partition' | 'heal' | 'set' | 'clear';
  detail?: unknown;
}

export interface FaultFilter extends Faults {
  /** Partition, heal, set and clear calls in order, stamped with the clock's time. */
  readonly history: readonly FaultChange[];
}

export function createFaults(opts: { random: Random; clock?: Clock }): FaultFilter {
  const { random, clock } = opts;
  const streams = new Map<string, Random>();
  const history: FaultChange[] = [];
  const counts = { dropped: 0, duplicated: 0, delayed: 0, partitioned: 0 };
  let sideOf: Map<string, number> | undefined;
  let settings: FaultSettings = {};
  let pairs: Set<string> | undefined;

  const record = (change: FaultChange['change'], detail?: unknown) => {
    const entry: FaultChange = { change };
    if (clock) entry.at = clock.now();
    if (detail !== undefined) entry.detail = detail;
    history.push(entry);
  };

  const pairKey = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);

  const stream = (to: string, from: string): Random => {
    const link = `${from}->${to}`;
    let r = streams.get(link);
    if (!r) {
      r = random.fork(`faults:${link}`);
      streams.set(link, r);
    }
    return r;
  };

  const separated = (a: string, b: string): boolean => {
    if (!sideOf) return false;
    const sa = sideOf.get(a);
    const sb = sideOf.get(b);
    return sa === undefined || sb === undefined || sa !== sb;
  };

  return {
    route(to, from) {
      if (to === from) return [0];
      if (separated(to, from)) {
        counts.partitioned++;
        return [];
      }
      if (pairs && !pairs.has(pairKey(to, from))) return [0];
      const { drop = 0, duplicate = 0, delayMs } = settings;
      if (drop === 0 && duplicate === 0 && !delayMs) return [0];
      const r = stream(to, from);
      if (drop > 0 && r.next() < drop) {
        counts.dropped++;
        return [];
      }
      const copies = duplicate > 0 && r.next() < duplicate ? 2 : 1;
      if (copies === 2) counts.duplicated++;
      if (!delayMs) return copies === 2 ? [0, 0] : [0];
      counts.delayed++;
      const delays: number[] = [];
      for (let i = 0; i < copies; i++) delays.push(r.between(delayMs[0], delayMs[1]));
      return delays;
    },
    partition(sides) {
      const map = new Map<string, number>();
      sides.forEach((side, i) => {
        for (const node of side) {
          if (map.has(node)) throw new GlupError('INVALID_OP', `partition: node ${node} is listed on two sides`);
          map.set(node, i);
        }
      });
      sideOf = map;
      record('partition', sides.map((s) => [...s]));
    },
    heal() {
      sideOf = undefined;
      record('heal');
    },
    set(next) {
      checkSettings(next);
      settings = { ...next };
      pairs = next.between ? new Set(next.between.map(([a, b]) => pairKey(a, b))) : undefined;
      record('set', settings);
    },
    clear() {
      settings = {};
      pairs = undefined;
      record('clear');
    },
    counts,
    history,
  };
}

function checkSettings(s: FaultSettings): void {
  for (const key of ['drop', 'duplicate'] as const) {
    const p = s[key];
    if (p !== undefined && !(p >= 0 && p <= 1)) throw new GlupError('INVALID_OP', `faults.${key} must be between 0 and 1, got ${p}`);
  }
  if (s.delayMs !== undefined) {
    const [min, max] = s.delayMs;
    if (!(min >= 0 && max >= min)) throw new GlupError('INVALID_OP', `faults.delayMs must be [min, max] with 0 <= min <= max, got [${min}, ${max}]`);
  }
  for (const pair of s.between ?? []) {
    if (pair.length !== 2) throw new GlupError('INVALID_OP', `faults.between entries must be pairs of node ids, got [${pair.join(', ')}]`);
  }
}
