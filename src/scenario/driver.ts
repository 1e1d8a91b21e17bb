/**
 * How a scenario run reaches its nodes and its time: the memory network on a virtual clock
 * (deterministic per seed), or NATS on wall time. run.ts is written once against `Driver`.
 */
import { memoryNetwork } from '../bus/memory.js';
import { natsTransport } from '../bus/nats.js';
import { realRunUntil, realSettle, sleep } from '../bus/realTime.js';
import type { Transport } from '../bus/transport.js';
import { realClock, type Clock } from '../clock.js';

export interface Driver {
  clock: Clock;
  now(): number;
  advance(ms: number): Promise<void>;
  runUntil(cond: () => boolean, timeoutMs: number): Promise<void>;
  settle<T>(p: Promise<T>, timeoutMs: number): Promise<T>;
  transport(id: string): Promise<Transport>;
  close(): Promise<void>;
}

const NATS_POLL_MS = 10;

export function memoryDriver(seed: number): Driver {
  const net = memoryNetwork({ seed, virtualTime: true });
  return {
    clock: net.clock,
    now: () => net.now(),
    advance: (ms) => net.advance(ms),
    runUntil: (cond, timeoutMs) => net.runUntil(cond, { timeoutMs }),
    settle: (p, timeoutMs) => net.settle(p, { timeoutMs }),
    transport: async (id) => net.transport(id),
    close: async () => {},
  };
}

export async function natsDriver(servers: string): Promise<Driver> {
  const start = Date.now();
  const transports: Transport[] = [];
  return {
    clock: realClock,
    now: () => Date.now() - start,
    advance: (ms) => sleep(ms),
    runUntil: (cond, timeoutMs) => realRunUntil(cond, { timeoutMs, everyMs: NATS_POLL_MS }),
    settle: (p, timeoutMs) => realSettle(p, { timeoutMs }),
    transport: async (id) => {
      const t = await natsTransport({ servers, name: id });
      transports.push(t);
      return t;
    },
    close: async () => {
      for (const t of transports) if (!t.closed) await t.close().catch(() => {});
    },
  };
}
