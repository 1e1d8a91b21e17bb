import test from 'ava';
import { GlupError } from '../../src/errors.js';
import { pickMember } from '../../src/groups/pick.js';

const FIVE = ['p1@n1', 'p1@n2', 'p2@n2', 'w@n10', 'w@n3'];
const keys = Array.from({ length: 10_000 }, (_, i) => `key-${i}`);

test('the same key picks the same member for the same view, whatever the list order', (t) => {
  const shuffled = [...FIVE].reverse();
  for (const key of keys.slice(0, 500)) {
    const chosen = pickMember(FIVE, key);
    t.is(pickMember(FIVE, key), chosen);
    t.is(pickMember(shuffled, key), chosen);
  }
});

test('10,000 keys over 5 members land within 10% of even', (t) => {
  const counts = new Map<string, number>();
  for (const key of keys) {
    const member = pickMember(FIVE, key);
    counts.set(member, (counts.get(member) ?? 0) + 1);
  }
  t.log(Object.fromEntries(counts));
  t.is(counts.size, 5);
  for (const [member, n] of counts) t.true(Math.abs(n - 2000) <= 200, `${member} got ${n} keys`);
});

test('when a member leaves only its keys move, and they spread over the others', (t) => {
  const before = new Map(keys.map((k) => [k, pickMember(FIVE, k)]));
  const remaining = FIVE.filter((m) => m !== 'p2@n2');
  const movedTo = new Map<string, number>();
  for (const key of keys) {
    const now = pickMember(remaining, key);
    if (before.get(key) === 'p2@n2') movedTo.set(now, (movedTo.get(now) ?? 0) + 1);
    else t.is(now, before.get(key)!, `${key} moved although its member stayed`);
  }
  t.is(movedTo.size, 4);
  // a member that joins takes keys only for itself
  const grown = [...FIVE, 'new@n4'];
  for (const key of keys) {
    const now = pickMember(grown, key);
    if (now !== 'new@n4') t.is(now, before.get(key)!);
  }
});

test('without a key the counter walks the members round robin in id order', (t) => {
  const members = ['b@n10', 'a@n2', 'a@n10'];
  t.deepEqual([0, 1, 2, 3, 4].map((i) => pickMember(members, undefined, i)), ['a@n2', 'a@n10', 'b@n10', 'a@n2', 'a@n10']);
  t.is(pickMember(members), 'a@n2');
  t.is(pickMember(members, undefined, -1), 'b@n10');
});

test('an empty group has nobody to pick', (t) => {
  t.throws(() => pickMember([], 'k'), { instanceOf: GlupError, message: /no members/ });
});
