import { performance } from 'node:perf_hooks';
import { realClock, type Clock } from '../clock.js';
import { GlupError } from '../errors.js';
import { isName } from '../ids.js';
import type { Logger } from '../log.js';
import { createRandom, type Random } from '../random.js';
import { realRunUntil, realSettle, sleep } from './realTime.js';
import { SubjectIndex } from './subjectIndex.js';
import { TimerQueue } from './timerQueue.js';
import { type MessageHandler, type Subscription, type Transport, type TransportMessage } from './transport.js';
import { createVirtualClock, type RunOptions, type VirtualClock } from './virtualClock.js';

/**
 * The in-process network (SPEC sections 8 and 11): every endpoint is a node's transport.
 *
 * What the network does to a message: nothing but delay it. Each (from, to) link delivers
 * after a seeded uniform delay in [minDelayMs, maxDelayMs], first in first out per link
 * (as one NATS connection does); losses, duplicates and reordering are the fault filter's
 * job (faultFilter.ts), above the transport. A killed endpoint neither sends nor receives;
 * messages already in flight from it still arrive, as they would from a crashed process.
 *
 * Determinism: each link draws its delays from its own PRNG stream (random.fork of the
 * link's name), so traffic on one link cannot shift the delays of another, and with
 * virtual time the same seed and the same inputs give the same delivery order.
 */
export interface MemoryNetworkOptions {
  seed?: number;
  /** Simulation: time moves only through advance/runUntil/settle. Default false (wall time). */
  virtualTime?: boolean;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** The delivery log keeps the most recent lines only; default 200 000. */
  deliveryLogLimit?: number;
  /** Where a throwing raw subscriber is reported (the bus catches its own handlers' errors). */
  logger?: Logger;
}

export interface MemoryNetworkStats {
  /** Messages published by live endpoints. */
  published: number;
  /** Copies handed to a receiving endpoint (one per receiving endpoint, whatever its subscription count). */
  delivered: number;
  /** Copies in flight to an endpoint that was killed or closed before they arrived. */
  undeliverable: number;
  /** Publishes and requests attempted by a killed endpoint, which go nowhere. */
  fromKilled: number;
}

export interface MemoryNetwork {
  /** The endpoint of node `name`; after its close() or kill(), a fresh endpoint (a restarted node). */
  transport(name: string): Transport;
  /** Virtual clock with virtualTime, else realClock. Every endpoint shares it. */
  readonly clock: Clock;
  /** The network's root PRNG; fork it by label for other consumers (faults, workloads). */
  readonly random: Random;
  readonly virtualTime: boolean;
  advance(ms: number): Promise<void>;
  runUntil(cond: () => boolean, opts?: RunOptions): Promise<void>;
  settle<T>(work: Promise<T>, opts?: RunOptions): Promise<T>;
  /** Crash: the endpoint stops sending and receiving at once; its subscriptions stay (see revive). */
  kill(name: string): void;
  /** Undoes kill() on the same endpoint (a paused process resuming); what it missed is lost. */
  revive(name: string): void;
  isAlive(name: string): boolean;
  now(): number;
  /** One line per delivery: `t=1.234 n1->n2 glup.c.hb #17` (#: the network's publish number). */
  deliveryLog(): string[];
  readonly stats: Readonly<MemoryNetworkStats>;
}

interface MemorySubscription {
  readonly pattern: string;
  readonly handler: MessageHandler;
  readonly endpoint: Endpoint;
  /** The endpoint name's creation order and the subscription's: the order deliveries are scheduled in. */
  readonly rank: number;
  readonly seq: number;
  active: boolean;
}

/** One direction between two endpoints: its own delay stream, FIFO floor and log name. */
interface Link {
  readonly name: string;
  readonly random: Random;
  lastAt: number;
}

/** A delivery log line, formatted only when deliveryLog() is read (issue 14: one string per delivery cost more than the delivery). */
interface LogEntry {
  at: number;
  link: Link;
  subject: string;
  n: number;
}

interface Endpoint {
  readonly name: string;
  readonly rank: number;
  readonly subscriptions: MemorySubscription[];
  /** Links from this endpoint, by receiver name (shared by its restarts: the network's links outlive processes). */
  readonly links: Map<string, Link>;
  killed: boolean;
  closed: boolean;
  /** Set right after creation: the transport's methods close over the endpoint. */
  transport: Transport;
  /** Rejecters of this endpoint's requests still waiting, for close(). */
  readonly pendingRequests: Set<(error: Error) => void>;
}

type Scheduler = (at: number, fn: () => void) => void;

export function memoryNetwork(opts: MemoryNetworkOptions = {}): MemoryNetwork {
  const seed = opts.seed ?? 1;
  const minDelayMs = opts.minDelayMs ?? 0.1;
  const maxDelayMs = opts.maxDelayMs ?? 1;
  if (!(minDelayMs >= 0 && maxDelayMs >= minDelayMs)) {
    throw new RangeError(`memoryNetwork: need 0 <= minDelayMs <= maxDelayMs, got ${minDelayMs} and ${maxDelayMs}`);
  }
  const deliveryLogLimit = opts.deliveryLogLimit ?? 200_000;
  const random = createRandom(seed);
  const virtualTime = opts.virtualTime ?? false;
  const virtualClock: VirtualClock | undefined = virtualTime ? createVirtualClock() : undefined;
  const clock: Clock = virtualClock ?? realClock;

  // Link delays are fractions of a millisecond, finer than Node timers: in real time the
  // network keeps its own queue on performance.now() and arms one timer for the earliest.
  const startedAt = performance.now();
  const linkTime = virtualClock ? () => virtualClock.now() : () => performance.now() - startedAt;
  const schedule: Scheduler = virtualClock ? (at, fn) => void virtualClock.setTimeoutAt(fn, at) : realTimeScheduler(linkTime);

  const endpoints = new Map<string, Endpoint>();
  const index = new SubjectIndex<MemorySubscription>();
  const linksFrom = new Map<string, Map<string, Link>>();
  let subscriptionSeq = 0;
  const stats: MemoryNetworkStats = { published: 0, delivered: 0, undeliverable: 0, fromKilled: 0 };
  let log: LogEntry[] = [];
  let published = 0;

  const linkTo = (from: Endpoint, to: Endpoint): Link => {
    let link = from.links.get(to.name);
    if (!link) {
      const name = `${from.name}->${to.name}`;
      link = { name, random: random.fork(`link:${name}`), lastAt: 0 };
      from.links.set(to.name, link);
    }
    return link;
  };

  const appendLog = (entry: LogEntry) => {
    log.push(entry);
    if (log.length > 2 * deliveryLogLimit) log = log.slice(-deliveryLogLimit);
  };

  const receives = (e: Endpoint) => !e.killed && !e.closed;

  const route = (from: Endpoint, subject: string, data: Uint8Array, reply: string | undefined): void => {
    if (from.killed) {
      stats.fromKilled++;
      return;
    }
    if (from.closed) return;
    const n = ++published;
    stats.published++;
    // A copy, so a publisher reusing its buffer cannot change a message in flight.
    const bytes = data.slice();
    // Like the NATS server: the subscriptions that match now get the message, later ones do not.
    // The index lists them by endpoint (creation order), then subscription order.
    const all = index.match(subject);
    for (let i = 0; i < all.length; ) {
      const to = all[i]!.endpoint;
      const matched: MemorySubscription[] = [];
      for (; i < all.length && all[i]!.endpoint === to; i++) if (all[i]!.active) matched.push(all[i]!);
      if (matched.length === 0 || !receives(to)) continue;
      scheduleDelivery(from, to, matched, subject, bytes, reply, n);
    }
  };

  const scheduleDelivery = (from: Endpoint, to: Endpoint, matched: MemorySubscription[], subject: string, bytes: Uint8Array, reply: string | undefined, n: number) => {
    const link = linkTo(from, to);
    const at = Math.max(linkTime() + link.random.between(minDelayMs, maxDelayMs), link.lastAt);
    link.lastAt = at;
    schedule(at, () => {
      if (!receives(to)) {
        stats.undeliverable++;
        return;
      }
      stats.delivered++;
      appendLog({ at: linkTime(), link, subject, n });
      for (const sub of matched) {
        if (!sub.active) continue;
        const msg: TransportMessage = reply === undefined ? { subject, data: bytes } : { subject, data: bytes, reply };
        try {
          sub.handler(msg);
        } catch (e) {
          opts.logger?.error('memory transport: subscriber threw', { node: to.name, subject, error: String(e) });
        }
      }
    });
  };

  const hasResponders = (subject: string): boolean => index.match(subject).some((s) => s.active && receives(s.endpoint));

  const createEndpoint = (name: string, rank: number): Endpoint => {
    let inboxCounter = 0;
    let links = linksFrom.get(name);
    if (!links) linksFrom.set(name, (links = new Map()));
    const endpoint: Endpoint = {
      name,
      rank,
      links,
      subscriptions: [],
      killed: false,
      closed: false,
      pendingRequests: new Set(),
      transport: undefined!,
    };
    const subscribe = (pattern: string, handler: MessageHandler): Subscription => {
      if (endpoint.closed) return { unsubscribe: () => undefined };
      const sub: MemorySubscription = { pattern, handler, endpoint, rank: endpoint.rank, seq: ++subscriptionSeq, active: true };
      endpoint.subscriptions.push(sub);
      index.add(sub);
      return {
        unsubscribe: () => {
          if (!sub.active) return;
          sub.active = false;
          index.remove(sub);
          const i = endpoint.subscriptions.indexOf(sub);
          if (i >= 0) endpoint.subscriptions.splice(i, 1);
        },
      };
    };
    const transport: Transport = {
      name,
      clock,
      publish: (subject, data, publishOpts) => route(endpoint, subject, data, publishOpts?.reply),
      subscribe,
      inbox: () => `_INBOX.${name}.${++inboxCounter}`,
      request: (subject, data, { timeoutMs }) =>
        new Promise<TransportMessage>((resolve, reject) => {
          if (endpoint.closed) return reject(new GlupError('STOPPED', `request on ${subject}: endpoint ${name} is closed`));
          if (endpoint.killed) {
            stats.fromKilled++;
            return reject(new GlupError('STOPPED', `request on ${subject}: endpoint ${name} is killed`));
          }
          // NATS answers a request nobody listens to at once ("no responders").
          if (!hasResponders(subject)) return reject(new GlupError('TIMEOUT', `request on ${subject}: no responders`));
          const inbox = `_INBOX.${name}.${++inboxCounter}`;
          const finish = () => {
            sub.unsubscribe();
            clock.clearTimeout(timer);
            endpoint.pendingRequests.delete(fail);
          };
          const fail = (error: Error) => {
            finish();
            reject(error);
          };
          const sub = subscribe(inbox, (msg) => {
            finish();
            resolve(msg);
          });
          const timer = clock.setTimeout(
            () => fail(new GlupError('TIMEOUT', `request on ${subject}: no reply within ${timeoutMs} ms`)),
            timeoutMs,
          );
          endpoint.pendingRequests.add(fail);
          route(endpoint, subject, data, inbox);
        }),
      flush: async () => undefined,
      // `bytes` is one copy per publish, handed to every receiver and never written to
      sharesPayloads: true,
      close: async () => {
        if (endpoint.closed) return;
        endpoint.closed = true;
        for (const sub of endpoint.subscriptions) {
          sub.active = false;
          index.remove(sub);
        }
        endpoint.subscriptions.length = 0;
        for (const fail of [...endpoint.pendingRequests]) fail(new GlupError('STOPPED', `endpoint ${name} closed during a request`));
      },
      get closed() {
        return endpoint.closed;
      },
    };
    endpoint.transport = transport;
    return endpoint;
  };

  const existing = (name: string): Endpoint => {
    const e = endpoints.get(name);
    if (!e) throw new Error(`memoryNetwork: no endpoint named "${name}"`);
    return e;
  };

  return {
    transport: (name) => {
      if (!isName(name)) throw new Error(`memoryNetwork: endpoint name "${name}" does not match [A-Za-z0-9_-]{1,64}`);
      const current = endpoints.get(name);
      if (current && receives(current)) return current.transport;
      // The old endpoint of a restarted node is gone for good: what was in flight to it is lost.
      if (current) void current.transport.close();
      // a restarted node keeps its name's place in the delivery order (Map.set keeps the key's)
      const fresh = createEndpoint(name, current?.rank ?? endpoints.size);
      endpoints.set(name, fresh);
      return fresh.transport;
    },
    clock,
    random,
    virtualTime,
    advance: (ms) => (virtualClock ? virtualClock.advance(ms) : sleep(ms)),
    runUntil: (cond, runOpts) => (virtualClock ? virtualClock.runUntil(cond, runOpts) : realRunUntil(cond, runOpts)),
    settle: (work, runOpts) => (virtualClock ? virtualClock.settle(work, runOpts) : realSettle(work, runOpts)),
    kill: (name) => {
      existing(name).killed = true;
    },
    revive: (name) => {
      existing(name).killed = false;
    },
    isAlive: (name) => {
      const e = endpoints.get(name);
      return e !== undefined && receives(e);
    },
    now: () => clock.now(),
    deliveryLog: () => log.slice(-deliveryLogLimit).map((e) => `t=${e.at.toFixed(3)} ${e.link.name} ${e.subject} #${e.n}`),
    stats,
  };
}

/** Runs callbacks at fractional performance.now() deadlines, FIFO for equal deadlines, with one Node timer armed. */
function realTimeScheduler(now: () => number): Scheduler {
  const queue = new TimerQueue();
  let armed: NodeJS.Timeout | undefined;
  let armedAt = Infinity;
  const arm = () => {
    const next = queue.peek();
    if (!next || (armed && armedAt <= next.at)) return;
    if (armed) clearTimeout(armed);
    armedAt = next.at;
    armed = setTimeout(run, Math.max(0, next.at - now()));
  };
  const run = () => {
    armed = undefined;
    armedAt = Infinity;
    const t = now();
    for (let next = queue.peek(); next && next.at <= t; next = queue.peek()) {
      queue.pop();
      next.fn();
    }
    arm();
  };
  return (at, fn) => {
    queue.push(at, fn);
    arm();
  };
}
