import test from 'ava';
import { formatShapeChoice, parseShapeChoice, shapeForSeed } from '../../src/sim/shapes.js';

test('shape choices: one value, lists, ranges and mixes', (t) => {
  t.deepEqual(parseShapeChoice('5', 1, 100), [5]);
  t.deepEqual(parseShapeChoice('9,3,7,5,3', 1, 100), [3, 5, 7, 9]);
  t.deepEqual(parseShapeChoice('50-53', 1, 1000), [50, 51, 52, 53]);
  t.deepEqual(parseShapeChoice('3, 5-7', 1, 100), [3, 5, 6, 7]);
  t.is(formatShapeChoice(parseShapeChoice('3,5,7,9', 1, 100)), '3,5,7,9');
  t.is(formatShapeChoice(parseShapeChoice('50-120', 1, 1000)), '50-120');
  t.is(formatShapeChoice(parseShapeChoice('3,4,9', 1, 100)), '3,4,9');
  t.is(formatShapeChoice(7), '7');
});

test('shape choices: bad text names the part that is wrong', (t) => {
  t.throws(() => parseShapeChoice('3,,5', 1, 100), { message: /"" is not a number/ });
  t.throws(() => parseShapeChoice('a-b', 1, 100), { message: /"a-b" is not a number or a range/ });
  t.throws(() => parseShapeChoice('9-3', 1, 100), { message: /range "9-3" ends before it starts/ });
  t.throws(() => parseShapeChoice('0', 1, 100), { message: /"0" is outside 1\.\.100/ });
  t.throws(() => parseShapeChoice('1-20000', 1, 100_000), { message: /more than 10000 values/ });
});

test('a seed draws its shape from its own stream: the same in any batch, every value reachable', (t) => {
  const nodes = [3, 5, 7, 9];
  const steps = parseShapeChoice('50-120', 1, 1000);
  t.deepEqual(shapeForSeed(42, nodes, steps), shapeForSeed(42, nodes, steps));
  t.deepEqual(shapeForSeed(42, 5, 50), { nodes: 5, steps: 50 }, 'fixed dimensions are not drawn');
  const seen = new Set<number>();
  let stepsMin = Infinity;
  let stepsMax = 0;
  for (let seed = 1; seed <= 400; seed++) {
    const s = shapeForSeed(seed, nodes, steps);
    seen.add(s.nodes);
    stepsMin = Math.min(stepsMin, s.steps);
    stepsMax = Math.max(stepsMax, s.steps);
    t.true(s.steps >= 50 && s.steps <= 120);
  }
  t.deepEqual([...seen].sort((a, b) => a - b), nodes);
  t.true(stepsMin < 55 && stepsMax > 115, `steps spread over the range (${stepsMin}..${stepsMax})`);
});
