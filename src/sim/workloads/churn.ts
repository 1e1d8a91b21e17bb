/**
 * Churn: the membership changes while faults happen. New nodes are added (`add`), members
 * leave gracefully (`stop`), nodes that left rejoin from their store (`restart`), and a
 * node is sometimes killed right after an add or a leave, while the membership change it
 * caused (the join, a new backup) is still in flight.
 *
 * Limits that keep invariant 4 meaningful: at most three nodes are added; a leave keeps at
 * least three members and a majority of them up, and happens only while no partition is
 * on (a leave needs a commit: on a minority side it could not finish, which would be the
 * fault, not the protocol). `glup remove` has no scenario step yet, so removals of dead
 * nodes are left to the failure detector.
 */
import type { Random } from '../../random.js';
import { countWorkload, oneOf, type GenAction, type GenContext } from './context.js';

const MAX_ADDED = 3;
const MIN_MEMBERS = 3;

export function churnActions(ctx: GenContext, random: Random): GenAction[] {
  const stopped = new Set<string>();
  let added = 0;
  const initialCount = ctx.ids.length;

  /** A kill right after a membership change, when a minority may still go down. */
  const killDuringChange = (maxDown: number) => {
    if (!ctx.faultsEnabled.has('kill') || random.next() >= 0.5 || ctx.down.size >= maxDown) return;
    const live = ctx.live();
    if (live.length) ctx.kill(oneOf(random, live));
  };

  return [
    {
      weight: 1,
      run: () => {
        if (added >= MAX_ADDED) return false;
        added++;
        const id = `n${initialCount + added}`;
        // the newcomer is not a member until its join commits: the kill budget leaves it out
        const maxDown = ctx.maxDown();
        ctx.ids.push(id);
        ctx.members.add(id);
        ctx.steps.push({ add: { id, priority: random.next() < 0.3 ? 1 + Math.floor(random.next() * 3) : 0, qualified: true } });
        countWorkload(ctx, 'add');
        killDuringChange(maxDown);
        return true;
      },
    },
    {
      weight: 1,
      run: () => {
        const after = ctx.members.size - 1;
        if (ctx.partitioned || after < MIN_MEMBERS || ctx.down.size > Math.floor((after - 1) / 2)) return false;
        const id = oneOf(random, ctx.live());
        ctx.members.delete(id);
        stopped.add(id);
        ctx.steps.push({ stop: [id] });
        countWorkload(ctx, 'stop');
        for (const fn of ctx.nodeGone) fn(id);
        killDuringChange(ctx.maxDown());
        return true;
      },
    },
    {
      weight: 1,
      run: () => {
        if (!stopped.size) return false;
        const id = oneOf(random, [...stopped]);
        stopped.delete(id);
        ctx.members.add(id);
        ctx.steps.push({ restart: [id] });
        countWorkload(ctx, 'rejoin');
        return true;
      },
    },
  ];
}
