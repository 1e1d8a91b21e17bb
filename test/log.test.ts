/**
 * `createNode({ logger })` takes a pino logger as it is: glup's `(msg, fields)` calls reach
 * pino as `(fields, msg)`, so the fields land in pino's JSON, and role and membership changes
 * are logged at info.
 */
import test from 'ava';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createNode, memoryNetwork, memoryStore } from '../src/index.js';
import { isPinoLogger, silentLogger, toLogger } from '../src/log.js';

function pinoLines() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

test('a pino logger passed to createNode gets the fields of role and membership lines', async (t) => {
  const { lines, logger } = pinoLines();
  const net = memoryNetwork({ seed: 1, virtualTime: true });
  const nodes = ['n1', 'n2'].map((id) =>
    createNode({ cluster: 'logs', id, transport: net.transport(id), store: memoryStore(), heartbeatMs: 50, initialMembers: ['n1', 'n2'], logger: logger.child({ app: 'test' }) }),
  );
  await net.settle(Promise.all(nodes.map((n) => n.start())), { timeoutMs: 5000 });
  const manager = nodes.find((n) => n.role === 'manager')!;
  const became = lines.find((l) => l.msg === 'became manager');
  t.like(became, { level: 30, app: 'test', node: manager.id, epoch: manager.epoch, previousRole: 'joining' });
  const changed = lines.find((l) => l.msg === 'role changed' && l.role === 'backup');
  t.truthy(changed, JSON.stringify(lines.map((l) => l.msg)));
  const membership = lines.find((l) => l.msg === 'membership changed');
  t.truthy(membership);
  t.true(Array.isArray(membership!.members) && (membership!.members as string[]).length >= 1);
  for (const n of nodes) await n.kill();
});

test('toLogger adapts pino and keeps glup loggers as they are', (t) => {
  const { lines, logger } = pinoLines();
  t.true(isPinoLogger(logger));
  const glupLogger = silentLogger();
  t.false(isPinoLogger(glupLogger));
  t.is(toLogger(glupLogger), glupLogger);
  toLogger(logger).child({ node: 'n9' }).warn('bus: invalid message dropped', { reason: 'bad JSON', bytes: 12 });
  t.like(lines[0], { level: 40, msg: 'bus: invalid message dropped', node: 'n9', reason: 'bad JSON', bytes: 12 });
});
