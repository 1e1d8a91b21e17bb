/**
 * Bus benchmarks: memory-bus throughput (virtual and real time) and NATS loopback
 * request/reply round trips. `npx tsx bench/bus.ts` writes bench/results/bus.json.
 * The memory figures go through the whole bus (envelope encode, edge validation, fault
 * filter, handler), one publisher and one subscriber, 0.1–1 ms link delays.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createBus } from '../src/bus/bus.js';
import { createFaults } from '../src/bus/faultFilter.js';
import { memoryNetwork } from '../src/bus/memory.js';
import { natsTransport } from '../src/bus/nats.js';
import type { Transport } from '../src/bus/transport.js';
import { startNatsServer } from '../test/helpers/natsServer.js';

const round = (x: number, digits = 3) => Number(x.toFixed(digits));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Messages/s through the bus on a memory network; one subscriber, batches of `batch` in flight. */
async function memoryThroughput(virtualTime: boolean, messages: number, batch: number) {
  const net = memoryNetwork({ seed: 1, virtualTime });
  const faults = createFaults({ random: net.random.fork('faults') });
  const sender = createBus({ transport: net.transport('n1'), cluster: 'bench', node: 'n1', faults });
  const receiver = createBus({ transport: net.transport('n2'), cluster: 'bench', node: 'n2', faults });
  let received = 0;
  receiver.subscribe('glup.bench.update.*', () => received++);
  const startedAt = performance.now();
  for (let sent = 0; sent < messages; ) {
    for (let i = 0; i < batch && sent < messages; i++, sent++) {
      sender.publish('glup.bench.update.n1', 'update', { seq: sent, op: { set: { path: 'a.b', value: sent } } }, { epoch: 1 });
    }
    const target = sent;
    await net.runUntil(() => received >= target, { timeoutMs: 60_000 });
  }
  const seconds = (performance.now() - startedAt) / 1000;
  return { messages, batch, seconds: round(seconds), messagesPerSecond: Math.round(messages / seconds) };
}

async function natsRoundTrips(url: string, warmup: number, samples: number) {
  const client = await natsTransport({ servers: url, name: 'client' });
  const server = await natsTransport({ servers: url, name: 'server' });
  server.subscribe('glup.bench.admin.*', (m) => {
    if (m.reply) server.publish(m.reply, m.data);
  });
  await server.flush();
  const payload = new TextEncoder().encode(JSON.stringify({ v: 1, cluster: 'bench', type: 'status-request', body: {} }));
  const times: number[] = [];
  for (let i = 0; i < warmup + samples; i++) {
    const t0 = performance.now();
    await client.request('glup.bench.admin.client', payload, { timeoutMs: 5000 });
    if (i >= warmup) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  await client.close();
  await server.close();
  return { samples, p50Ms: round(percentile(times, 50)), p99Ms: round(percentile(times, 99)), maxMs: round(times[times.length - 1]!) };
}

async function natsBusThroughput(url: string, messages: number) {
  const transports: Transport[] = [await natsTransport({ servers: url, name: 'n1' }), await natsTransport({ servers: url, name: 'n2' })];
  const sender = createBus({ transport: transports[0]!, cluster: 'bench', node: 'n1' });
  const receiver = createBus({ transport: transports[1]!, cluster: 'bench', node: 'n2' });
  let received = 0;
  receiver.subscribe('glup.bench.update.*', () => received++);
  await transports[1]!.flush();
  const startedAt = performance.now();
  for (let sent = 0; sent < messages; sent++) {
    sender.publish('glup.bench.update.n1', 'update', { seq: sent, op: { set: { path: 'a.b', value: sent } } }, { epoch: 1 });
    if (sent % 1000 === 999) await transports[0]!.flush();
  }
  while (received < messages) await new Promise((r) => setTimeout(r, 1));
  const seconds = (performance.now() - startedAt) / 1000;
  await Promise.all(transports.map((t) => t.close()));
  return { messages, seconds: round(seconds), messagesPerSecond: Math.round(messages / seconds) };
}

export async function benchBus(): Promise<object> {
  const memoryVirtual = await memoryThroughput(true, 50_000, 1000);
  const memoryRealTime = await memoryThroughput(false, 50_000, 1000);
  const server = await startNatsServer();
  try {
    const natsRequestReply = await natsRoundTrips(server.url, 500, 5000);
    const natsBusPublish = await natsBusThroughput(server.url, 50_000);
    return {
      memoryBusVirtualTime: memoryVirtual,
      memoryBusRealTime: memoryRealTime,
      natsLoopbackRequestReply: natsRequestReply,
      natsLoopbackBusPublish: natsBusPublish,
      notes: 'memory: whole bus path (envelope, validation, fault filter), 1 publisher -> 1 subscriber, batches of 1000 in flight; nats: nats-server 2.9.10 on 127.0.0.1, raw transport request/reply (sequential), bus publish with one subscriber',
    };
  } finally {
    await server.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await benchBus();
  const report = {
    command: 'npx tsx bench/bus.ts',
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    results,
  };
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'bus.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  console.log(JSON.stringify(report, null, 2));
}
