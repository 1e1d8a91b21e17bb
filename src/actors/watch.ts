/**
 * `node.watch(prefix, { fromSeq })` (SPEC section 4): committed updates touching a prefix,
 * resumable from a seq. The backlog comes from the log (memory, then the store for what a
 * snapshot compacted away); then live commits follow, in seq order, without gaps or repeats.
 */
import type { Clock } from '../clock.js';
import { affectedPaths } from '../db/ops.js';
import { parsePath, pathsOverlap } from '../db/paths.js';
import type { UpdateRecord } from '../db/types.js';
import { GlupError } from '../errors.js';
import type { Replica } from './replica.js';
import type { Role } from './types.js';

/** What watching needs from a node. */
export interface WatchSource {
  readonly id: string;
  readonly clock: Clock;
  readonly replica: Replica;
  on(event: 'update' | 'role', fn: (arg: any) => void): () => void;
}

export function watchCommitted(node: WatchSource, prefix: string, opts: { fromSeq?: number } = {}): AsyncIterableIterator<UpdateRecord> {
    const wanted = prefix === '' ? [] : parsePath(prefix);
    const touches = (r: UpdateRecord) =>
      wanted.length === 0 || affectedPaths(r.op).some((p) => pathsOverlap(parsePath(p), wanted));
    let next = opts.fromSeq ?? node.replica.committedSeq + 1;
    const live: UpdateRecord[] = [];
    let wake: (() => void) | null = null;
    let closed = false;
    const offUpdate = node.on('update', (r: UpdateRecord) => {
      live.push(r);
      wake?.();
    });
    const offRole = node.on('role', (r: Role) => {
      if (r === 'stopped') {
        closed = true;
        wake?.();
      }
    });
    const close = () => {
      closed = true;
      offUpdate();
      offRole();
      wake?.();
    };
        async function* iterate(): AsyncGenerator<UpdateRecord> {
      try {
        // the backlog: committed records before the live ones, from memory or the store
        const firstLive = () => live[0]?.seq ?? node.replica.committedSeq + 1;
        if (next < firstLive()) {
          const upTo = firstLive() - 1;
          if (next < node.replica.firstHeldSeq) {
            const stored = await node.clock.track(node.replica.store.readRange(next, upTo));
            if (!stored.length || stored[0]!.seq !== next) {
              throw new GlupError('INVALID_OP', `watch: seq ${next} is no longer in the log of ${node.id} (compacted by a snapshot)`);
            }
            for (const r of stored) if (r.seq <= upTo) {
              next = r.seq + 1;
              if (touches(r)) yield r;
            }
          }
          for (const r of node.replica.range(next, Math.min(upTo, node.replica.committedSeq))) {
            next = r.seq + 1;
            if (touches(r)) yield r;
          }
        }
        for (;;) {
          while (live.length) {
            const r = live.shift()!;
            if (r.seq < next) continue;
            next = r.seq + 1;
            if (touches(r)) yield r;
          }
          if (closed) return;
          await new Promise<void>((resolve) => (wake = resolve));
          wake = null;
        }
      } finally {
        close();
      }
    }
    const it = iterate();
    const finish = it.return.bind(it);
    // breaking out of a for-await while it waits must release the listeners at once
    return Object.assign(it, {
      return: async (value?: unknown) => {
        close();
        return finish(value as UpdateRecord);
      },
    });
}
