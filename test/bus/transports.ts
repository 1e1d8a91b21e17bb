/**
 * One harness for the transport contract tests: the same test body runs over the memory
 * network (virtual time, no sleeps) and over a real nats-server (wall time, polling).
 * Not a test file itself (no .test.ts).
 */
import type { Clock } from '../../src/clock.js';
import { memoryNetwork, type MemoryNetwork } from '../../src/bus/memory.js';
import { natsTransport } from '../../src/bus/nats.js';
import type { Transport } from '../../src/bus/transport.js';
import { startNatsServer, type NatsServer } from '../helpers/natsServer.js';
import { until } from '../helpers/poll.js';

export const KINDS = ['memory', 'nats'] as const;
export type Kind = (typeof KINDS)[number];

export interface Kit {
  kind: Kind;
  /** Subject prefix unique to this kit: NATS tests of one file share a server. */
  prefix: string;
  clock: Clock;
  /** The memory network, on memory kits only. */
  net?: MemoryNetwork;
  endpoint(name: string): Promise<Transport>;
  /** Until cond holds: virtual time on memory, polling every 10 ms on NATS. */
  waitFor(cond: () => boolean, timeoutMs?: number): Promise<void>;
  /** Lets time pass: virtual on memory, real on NATS. */
  pass(ms: number): Promise<void>;
  settle<T>(work: Promise<T>, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

let kitCounter = 0;

/** A nats-server shared by the NATS kits of one test file; stop it in test.after.always. */
export function sharedNatsServer(extraConfig?: string) {
  let server: Promise<NatsServer> | undefined;
  return {
    get: () => (server ??= startNatsServer(extraConfig === undefined ? {} : { extraConfig })),
    stop: async () => {
      if (server) await (await server).stop();
    },
  };
}

export async function openKit(kind: Kind, nats: { get(): Promise<NatsServer> }, seed = 1): Promise<Kit> {
  const prefix = `t${++kitCounter}`;
  if (kind === 'memory') {
    const net = memoryNetwork({ seed, virtualTime: true });
    return {
      kind,
      prefix,
      clock: net.clock,
      net,
      endpoint: async (name) => net.transport(name),
      waitFor: (cond, timeoutMs = 5000) => net.runUntil(cond, { timeoutMs }),
      pass: (ms) => net.advance(ms),
      settle: (work, timeoutMs = 5000) => net.settle(work, { timeoutMs }),
      close: async () => undefined,
    };
  }
  const server = await nats.get();
  const opened: Transport[] = [];
  const net = {
    kind,
    prefix,
    clock: { now: () => Date.now() } as Clock,
    endpoint: async (name: string) => {
      const t = await natsTransport({ servers: server.url, name, reconnectTimeWaitMs: 100 });
      opened.push(t);
      return t;
    },
    waitFor: (cond: () => boolean, timeoutMs = 5000) => until('the condition', cond, { timeoutMs, everyMs: 10 }),
    pass: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
    settle: <T>(work: Promise<T>) => work,
    close: async () => {
      await Promise.all(opened.map((t) => t.close()));
    },
  };
  return net;
}

export const text = (s: string) => new TextEncoder().encode(s);
export const untext = (b: Uint8Array) => new TextDecoder().decode(b);
