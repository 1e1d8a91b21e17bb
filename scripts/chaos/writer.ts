import { createNode } from '../../src/actors/createNode.js';
import type { NodeRuntime } from '../../src/actors/runtime.js';
import { natsTransport } from '../../src/bus/nats.js';
import { memoryStore } from '../../src/persistence/memory.js';

/**
 * The chaos run's client: a non-qualified member in this process that keeps `inFlight`
 * updates going, each setting a key of its own (`<prefix>.u<i>` = i), and remembers which ones
 * were acked. An update that fails or times out is not promised to anyone, so it is neither
 * counted as acked nor checked.
 */
export interface Writer {
  node: NodeRuntime;
  /** i of every acked update, with the seq it got. */
  readonly acked: Map<number, number>;
  readonly attempts: number;
  readonly failures: Record<string, number>;
  /** Stops submitting and waits (bounded) for the updates in flight. */
  stop(): Promise<void>;
  /** Stops submitting and kills the writer's node (cleanup after a failure). */
  abort(): Promise<void>;
}

export async function startWriter(opts: {
  cluster: string;
  /** One URL, or several (a NATS cluster: the writer reconnects to another when its server dies). */
  servers: string | string[];
  heartbeatMs: number;
  missedHeartbeats: number;
  inFlight: number;
  /** Keys are `<prefix>.u<i>`; default `chaos`. */
  prefix?: string;
}): Promise<Writer> {
  const prefix = opts.prefix ?? 'chaos';
  const transport = await natsTransport({ servers: opts.servers, name: 'writer', reconnectTimeWaitMs: Math.min(250, opts.heartbeatMs) });
  const node = createNode({
    cluster: opts.cluster,
    id: 'writer',
    transport,
    store: memoryStore(),
    qualified: false,
    heartbeatMs: opts.heartbeatMs,
    missedHeartbeats: opts.missedHeartbeats,
  });
  await node.start({ timeoutMs: 60_000 });
  const acked = new Map<number, number>();
  const failures: Record<string, number> = {};
  let next = 0;
  let stopped = false;
  const lane = async () => {
    while (!stopped) {
      const i = next++;
      try {
        const { seq } = await node.update({ set: { path: `${prefix}.u${i}`, value: i } });
        acked.set(i, seq);
      } catch (e) {
        const code = (e as { code?: string }).code ?? 'ERROR';
        failures[code] = (failures[code] ?? 0) + 1;
        // NOT_MEMBER or NO_QUORUM come back at once: do not spin while the cluster heals
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const lanes = Array.from({ length: opts.inFlight }, lane);
  return {
    node,
    acked,
    get attempts() {
      return next;
    },
    failures,
    stop: async () => {
      stopped = true;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(lanes), new Promise((r) => (timer = setTimeout(r, 30_000)))]);
      clearTimeout(timer);
    },
    abort: async () => {
      stopped = true;
      await node.kill().catch(() => undefined);
    },
  };
}
