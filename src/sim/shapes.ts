/**
 * Cluster shapes for `glup sim`: `--nodes` and `--steps` take one value, a list, a range or
 * both mixed ("3,5,7,9", "50-120", "3,5-7"). With one value every seed runs that shape;
 * with several, each seed draws its own from a PRNG stream of its seed alone, so a seed
 * draws the same shape in any batch, worker or order, and `--nodes N --steps M` with the
 * drawn values regenerates exactly that run.
 */
import { createRandom } from '../random.js';

/** The values a shape dimension may take, in increasing order without duplicates. */
export type ShapeChoice = readonly number[];

/** Largest list a range may expand to: enough for any step range, small enough to print. */
const MAX_CHOICES = 10_000;

/**
 * Parses "5", "3,5,7,9", "50-120" or a mix; every value within [min, max]. Throws an Error
 * whose message names the bad part (the CLI turns it into a usage error, exit 2).
 */
export function parseShapeChoice(text: string, min: number, max: number): ShapeChoice {
  const values = new Set<number>();
  for (const part of text.split(',').map((s) => s.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`"${part}" is not a number or a range a-b`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new Error(`range "${part}" ends before it starts`);
    if (lo < min || hi > max) throw new Error(`"${part}" is outside ${min}..${max}`);
    if (hi - lo + values.size >= MAX_CHOICES) throw new Error(`"${text}" has more than ${MAX_CHOICES} values`);
    for (let v = lo; v <= hi; v++) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

export interface Shape {
  nodes: number;
  steps: number;
}

/** The shape seed `seed` runs with: fixed dimensions as given, others drawn from its own stream. */
export function shapeForSeed(seed: number, nodes: number | ShapeChoice, steps: number | ShapeChoice): Shape {
  const draw = createRandom(seed).fork('shape');
  const pick = (c: number | ShapeChoice): number => {
    if (typeof c === 'number') return c;
    if (c.length === 1) return c[0]!;
    return c[Math.floor(draw.next() * c.length)]!;
  };
  // nodes first, then steps: the order is part of what a seed means
  const n = pick(nodes);
  return { nodes: n, steps: pick(steps) };
}

/** "3,5,7,9" or "50-120": how a choice is written back (summaries, reproduction commands). */
export function formatShapeChoice(c: number | ShapeChoice): string {
  if (typeof c === 'number') return String(c);
  const parts: string[] = [];
  for (let i = 0; i < c.length; ) {
    let j = i;
    while (j + 1 < c.length && c[j + 1] === c[j]! + 1) j++;
    parts.push(j - i >= 2 ? `${c[i]}-${c[j]}` : c.slice(i, j + 1).join(','));
    i = j + 1;
  }
  return parts.join(',');
}
