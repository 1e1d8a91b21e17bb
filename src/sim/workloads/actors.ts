/**
 * Hosted actors (SPEC section 11) under faults: every node defines a sharded counter
 * (`counter`, keys a0..a3) and a singleton counter (`sched`); random live nodes ask them to
 * count and sometimes tell them without waiting. Kills, restarts, partitions and churn move
 * the actors between hosts, and invariant 8 (src/sim/invariantActors.ts) checks that every
 * actor's committed versions form one chain and that every acknowledged ask is in every later
 * state.
 */
import type { Random } from '../../random.js';
import type { ActorTypeSpec } from '../../scenario/types.js';
import { countWorkload, oneOf, type GenAction, type GenContext } from './context.js';

export const SIM_ACTOR_TYPES: ActorTypeSpec[] = [
  { type: 'counter', machine: 'counter', placement: 'sharded' },
  { type: 'sched', machine: 'counter', placement: 'singleton' },
];

const KEYS = ['a0', 'a1', 'a2', 'a3'];

export function actorActions(ctx: GenContext, random: Random): GenAction[] {
  const target = () => (random.next() < 0.25 ? { type: 'sched', key: 'default' } : { type: 'counter', key: oneOf(random, KEYS) });
  return [
    {
      weight: 3,
      run: () => {
        const live = ctx.live();
        if (!live.length) return false;
        // an ask waits at most 30 heartbeats: under a partition it may fail, which the run allows
        ctx.steps.push({ ask: { node: oneOf(random, live), ...target(), event: { type: 'INC' }, timeoutMs: 30 * ctx.heartbeatMs } });
        countWorkload(ctx, 'ask');
        return true;
      },
    },
    {
      weight: 1,
      run: () => {
        const live = ctx.live();
        if (!live.length) return false;
        ctx.steps.push({ tell: { node: oneOf(random, live), ...target(), event: { type: 'INC', by: 2 } } });
        countWorkload(ctx, 'tell');
        return true;
      },
    },
  ];
}
