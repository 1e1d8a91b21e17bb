/**
 * Process groups (SPEC section 7) under faults: processes join and leave groups `g` and `h`
 * from random live nodes, and ordered messages go through GLUP, so every member's views and
 * the committed views can be checked for invariant 5. A node's processes are forgotten when
 * it is killed, restarted or stopped: their handles died with it (the node's removal takes
 * its members out of every view, which is what invariant 5 checks).
 */
import type { Random } from '../../random.js';
import { countWorkload, oneOf, type GenAction, type GenContext } from './context.js';

const GROUPS = ['g', 'h'];

export function groupActions(ctx: GenContext, random: Random): GenAction[] {
  const joined: { node: string; process: string; group: string }[] = [];
  let processes = 0;
  let messages = 0;
  ctx.nodeGone.push((id) => {
    for (let i = joined.length - 1; i >= 0; i--) if (joined[i]!.node === id) joined.splice(i, 1);
  });

  return [
    {
      weight: 3,
      run: () => {
        const live = ctx.live();
        if (!live.length) return false;
        const member = { node: oneOf(random, live), process: `p${++processes}`, group: oneOf(random, GROUPS) };
        joined.push(member);
        ctx.steps.push({ join: member });
        countWorkload(ctx, 'join');
        return true;
      },
    },
    {
      weight: 1,
      run: () => {
        if (!joined.length) return false;
        const member = joined.splice(Math.floor(random.next() * joined.length), 1)[0]!;
        ctx.steps.push({ leave: member });
        countWorkload(ctx, 'leave');
        return true;
      },
    },
    {
      weight: 1,
      run: () => {
        const live = ctx.live();
        if (!live.length) return false;
        ctx.steps.push({ send: { node: oneOf(random, live), group: oneOf(random, GROUPS), payload: { n: ++messages }, mode: 'ordered' } });
        countWorkload(ctx, 'send');
        return true;
      },
    },
  ];
}
