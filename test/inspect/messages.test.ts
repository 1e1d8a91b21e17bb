import test from 'ava';
import { join } from 'node:path';
import { createBus } from '../../src/bus/bus.js';
import type { Envelope } from '../../src/bus/envelope.js';
import { memoryNetwork } from '../../src/bus/memory.js';
import { addressee, summarize } from '../../src/actors/messageEvents.js';
import { subjects } from '../../src/bus/transport.js';
import { loadScenarioFile } from '../../src/scenario/parse.js';
import { replayTrace } from '../../src/scenario/replay.js';
import { runScenario } from '../../src/scenario/run.js';
import { parseTrace, type MessageLine, type TraceEventLine } from '../../src/scenario/trace.js';

/** One recorded run of the README's failover scenario, shared by the tests below. */
const recorded = (async () => {
  const { scenario } = await loadScenarioFile(join('scenarios', 'manager-failover.yaml'));
  const result = await runScenario(scenario, { transport: 'memory' });
  return { scenario, result, trace: parseTrace(result.trace.join('\n'), 'manager-failover.jsonl') };
})();

const messages = (events: TraceEventLine[]) => events.filter((e): e is MessageLine => e.kind === 'message');

test('a trace carries every protocol message of the failover: heartbeats, updates, acks, votes, confirms', async (t) => {
  const { trace } = await recorded;
  const sent = new Set(messages(trace.events).filter((m) => m.dir === 'send').map((m) => m.msgType));
  for (const type of ['hello', 'candidacy', 'vote', 'heartbeat', 'heartbeat-ack', 'submit', 'update', 'update-ack', 'commit', 'confirm-request', 'confirm-reply']) {
    t.true(sent.has(type), `a ${type} was sent`);
  }
  const line = trace.lines.find((l) => l.includes('"msgType":"update"') && l.includes('"dir":"send"'))!;
  t.deepEqual(Object.keys(JSON.parse(line)), ['kind', 'node', 'dir', 'msgType', 'from', 'to', 'subject', 'epoch', 'summary', 't']);
});

test('message summaries are small and never carry a payload', async (t) => {
  const { trace } = await recorded;
  for (const m of messages(trace.events)) {
    const text = JSON.stringify(m.summary);
    t.true(text.length < 200, `${m.msgType}: ${text}`);
    for (const key of ['records', 'snapshot', 'body', 'info', 'msg']) t.false(key in m.summary, `${m.msgType} has no ${key}`);
  }
  const update = messages(trace.events).find((m) => m.msgType === 'update' && m.dir === 'send' && m.node === 'n1')!;
  t.deepEqual(Object.keys(update.summary).sort(), ['commitSeq', 'prevSeq', 'seqs']);
  t.true(Array.isArray(update.summary.seqs));
  const submit = messages(trace.events).find((m) => m.msgType === 'submit' && m.dir === 'send')!;
  t.like(submit, { node: 'n3', from: 'n3', summary: { op: 'set' } });
  t.false(JSON.stringify(submit).includes('blue'), 'the value set is not in the trace line of the message');
});

test('every delivery has its send: same sender, type, subject, epoch and summary, not later', async (t) => {
  const { trace } = await recorded;
  const all = messages(trace.events);
  const sends = all.filter((m) => m.dir === 'send');
  for (const r of all.filter((m) => m.dir === 'receive')) {
    t.true(r.to === null || r.to === r.node, `a unicast is delivered to its addressee (${r.msgType} to ${r.to} at ${r.node})`);
    const match = sends.find((s) => s.node === r.from && s.msgType === r.msgType && s.subject === r.subject && s.epoch === r.epoch && s.t <= r.t && JSON.stringify(s.summary) === JSON.stringify(r.summary));
    t.truthy(match, `send of ${JSON.stringify(r)}`);
  }
  // the killed manager's heartbeats stop at the kill; the new manager's start after the takeover
  const kill = trace.events.find((e) => e.kind === 'step' && 'kill' in e.step)!;
  const heartbeats = sends.filter((m) => m.msgType === 'heartbeat');
  t.true(heartbeats.some((m) => m.node === 'n1' && m.t <= kill.t));
  t.false(heartbeats.some((m) => m.node === 'n1' && m.t > kill.t));
  t.true(heartbeats.some((m) => m.node === 'n2' && m.t > kill.t && m.summary.role === 'manager'));
});

test('traces with messages stay byte-identical per seed on memory', async (t) => {
  const { scenario, result } = await recorded;
  const again = await runScenario(scenario, { transport: 'memory' });
  t.is(again.trace.join('\n'), result.trace.join('\n'));
});

test('replay checks every line: a message or transition removed, changed or extended is a divergence', async (t) => {
  const { result } = await recorded;
  const lines = result.trace;
  const identical = await replayTrace(parseTrace(lines.join('\n'), 'ok.jsonl'));
  t.true(identical.identical);
  t.is(identical.events, lines.length - 1);

  const messageAt = lines.findIndex((l, i) => i > 40 && l.startsWith('{"kind":"message"') && l.includes('"msgType":"heartbeat-ack"'));
  const transitionAt = lines.findIndex((l, i) => i > 40 && l.startsWith('{"kind":"transition"'));
  const variants: Record<string, string[]> = {
    'message removed': lines.filter((_, i) => i !== messageAt),
    'message changed': lines.map((l, i) => (i === messageAt ? l.replace('"commitSeq":', '"commitSeq":9') : l)),
    'message extended': lines.map((l, i) => (i === messageAt ? l.replace('{"kind":"message",', '{"kind":"message","extra":1,') : l)),
    'transition removed': lines.filter((_, i) => i !== transitionAt),
  };
  for (const [what, variant] of Object.entries(variants)) {
    t.not(variant.join('\n'), lines.join('\n'), `${what}: the variant differs`);
    const r = await replayTrace(parseTrace(variant.join('\n'), `${what}.jsonl`));
    t.false(r.identical, what);
    t.is(r.divergence!.index, (what.startsWith('transition') ? transitionAt : messageAt) - 1, what);
  }
});

test('the bus taps every envelope sent and delivered, once per message even when chunked', async (t) => {
  const net = memoryNetwork({ seed: 3, virtualTime: true });
  const seen: string[] = [];
  const tapFor = (node: string) => (dir: 'send' | 'receive', env: Envelope, subject: string) => seen.push(`${node} ${dir} ${env.type} ${env.from} ${subject}`);
  const a = createBus({ transport: net.transport('a'), cluster: 'c', node: 'a', tap: tapFor('a'), chunkBytes: 1024 });
  const b = createBus({ transport: net.transport('b'), cluster: 'c', node: 'b', tap: tapFor('b'), chunkBytes: 1024 });
  let delivered = 0;
  b.subscribe(subjects.nodeAll('c', 'b'), () => delivered++);
  b.subscribe(subjects.adminAll('c'), (env, raw) => b.reply(raw, 'status-reply', { role: 'client' }, { epoch: 1 }));
  a.publish(subjects.node('c', 'b', 'a'), 'update', { records: [], commitSeq: 1, pad: 'x'.repeat(5000) }, { epoch: 1 });
  await net.runUntil(() => delivered === 1, { timeoutMs: 1000 });
  const reply = await net.settle(a.request(subjects.admin('c', 'a'), 'status-request', {}, { epoch: 0, timeoutMs: 1000, to: 'b' }), { timeoutMs: 1000 });
  t.is(reply.type, 'status-reply');
  t.deepEqual(seen.slice(0, 2), ['a send update a glup.c.node.b.a', 'b receive update a glup.c.node.b.a'], 'a chunked message is tapped whole, once');
  t.deepEqual(seen.slice(2, 4), ['a send status-request a glup.c.admin.a', 'b receive status-request a glup.c.admin.a']);
  t.regex(seen[4]!, /^b send status-reply b /);
  t.regex(seen[5]!, /^a receive status-reply b /);
  t.is(seen.length, 6);
});

test('summaries and addressees', (t) => {
  t.is(addressee('demo', subjects.node('demo', 'n3', 'n1')), 'n3', 'the addressee, with the sender after it');
  t.is(addressee('demo', subjects.heartbeat('demo', 'n1')), null);
  t.is(addressee('demo', subjects.node('other', 'n3', 'n1')), null);
  t.deepEqual(summarize({ records: [{ seq: 4, op: { set: { value: 'secret' } } }, { seq: 5 }], commitSeq: 3 }), { commitSeq: 3, seqs: [4, 5] });
  t.deepEqual(summarize({ acks: [{ seq: 7, id: 'x' }], upTo: 7 }), { upTo: 7, acks: [7] });
  t.deepEqual(summarize({ records: Array.from({ length: 40 }, (_, i) => ({ seq: i + 1 })), commitSeq: 0 }), { commitSeq: 0, seqs: { first: 1, last: 40, count: 40 } });
  t.deepEqual(summarize({ term: 3, for: 'n2', committedSeq: 5, lastSeq: 5, lastEpoch: 2, lastId: 'x', info: { id: 'n1' }, members: ['a', 'b'] }), {
    term: 3,
    for: 'n2',
    committedSeq: 5,
    lastSeq: 5,
    lastEpoch: 2,
    members: 2,
  });
  t.deepEqual(summarize({ from: 3, to: 9 }), { fromSeq: 3, toSeq: 9 });
  t.deepEqual(summarize({ id: 's-1', op: { cas: { path: 'a', expect: 1, value: 2 } } }), { op: 'cas', id: 's-1' });
  t.deepEqual(summarize({ group: 'g', msg: { big: 'payload' }, sender: 'p@n1', to: 'p@n2' }), { group: 'g', to: 'p@n2' });
  t.deepEqual(summarize('text'), {});
});
