import test from 'ava';
import { SubjectIndex } from '../../src/bus/subjectIndex.js';
import { subjectMatches } from '../../src/bus/transport.js';
import { memoryNetwork } from '../../src/bus/memory.js';

interface Sub {
  pattern: string;
  rank: number;
  seq: number;
}

let seq = 0;
const sub = (pattern: string, rank: number): Sub => ({ pattern, rank, seq: ++seq });

test('the index finds exactly what subjectMatches matches, in (endpoint, subscription) order', (t) => {
  const index = new SubjectIndex<Sub>();
  const subs = [
    sub('glup.c.hb.*', 2),
    sub('glup.c.node.n1.*', 0),
    sub('glup.c.hb.*', 0),
    sub('glup.c.>', 1),
    sub('glup.c.hb.n9', 1),
    sub('glup.*.hb.*', 0),
    sub('_INBOX.n1.1', 0),
    sub('>', 3),
  ];
  for (const s of subs) index.add(s);
  for (const subject of ['glup.c.hb.n2', 'glup.c.hb.n9', 'glup.c.node.n1.n2', 'glup.c.node.n2.n1', 'glup.c', 'glup.d.hb.x', '_INBOX.n1.1', 'x']) {
    const expected = subs.filter((s) => subjectMatches(s.pattern, subject)).sort((a, b) => a.rank - b.rank || a.seq - b.seq);
    t.deepEqual(index.match(subject), expected, subject);
  }
});

test('a removed subscription is no longer matched, and removing inbox subscriptions leaves no branches behind', (t) => {
  const index = new SubjectIndex<Sub>();
  const keep = sub('glup.c.hb.*', 0);
  index.add(keep);
  const inboxes = Array.from({ length: 100 }, (_, i) => sub(`_INBOX.n1.${i}`, 0));
  for (const s of inboxes) index.add(s);
  for (const s of inboxes) index.remove(s);
  t.deepEqual(index.match('_INBOX.n1.5'), []);
  t.deepEqual(index.match('glup.c.hb.n3'), [keep]);
  const root = (index as unknown as { root: { literal: Map<string, unknown> } }).root;
  t.deepEqual([...root.literal.keys()], ['glup']);
});

test('a restarted endpoint keeps its place in the delivery order of a broadcast', async (t) => {
  // equal link delays: the order of deliveries is the order the network scheduled them in
  const net = memoryNetwork({ virtualTime: true, minDelayMs: 1, maxDelayMs: 1 });
  const got: string[] = [];
  for (const name of ['a', 'b', 'c']) net.transport(name).subscribe('s.*', () => got.push(name));
  net.kill('a');
  net.transport('a').subscribe('s.*', () => got.push('a'));
  net.transport('c').publish('s.c', new Uint8Array([1]));
  await net.advance(5);
  t.deepEqual(got, ['a', 'b', 'c']);
});
