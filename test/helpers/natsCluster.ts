import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort, startNatsServer, type NatsServer } from './natsServer.js';
import { eventually, until } from './poll.js';

/**
 * A NATS cluster of `size` nats-servers on loopback, with routes between all of them and
 * JetStream on each (each server its own store dir, from startNatsServer). Resolves once
 * JetStream can place an R`size` stream, i.e. the meta group has a leader and every server
 * has joined it: before that, stream creates fail with "insufficient resources" or time out.
 */
export interface NatsCluster {
  servers: NatsServer[];
  /** Client URLs of all servers, for `servers:` options. */
  urls: string[];
  /** server_name of each server, in the same order (`s1`, `s2`, …). */
  names: string[];
  /** The server whose server_name is `name`. */
  byName(name: string): NatsServer;
  stop(): Promise<void>;
}

export async function startNatsCluster(
  opts: { size?: number; name?: string; readyTimeoutMs?: number; extraConfig?: string; ready?: 'jetstream' | 'routes' } = {},
): Promise<NatsCluster> {
  const size = opts.size ?? 3;
  const clusterName = opts.name ?? 'glup-test';
  const routePorts: number[] = [];
  for (let i = 0; i < size; i++) routePorts.push(await freePort());
  const names = routePorts.map((_, i) => `s${i + 1}`);
  const servers: NatsServer[] = [];
  // natsServer's stop() never resolves for a server already SIGKILLed (it waits for an
  // 'exit' that has passed: exitCode stays null after a signal), so bound each stop.
  const stop = async () => {
    await Promise.all(servers.map((s) => Promise.race([s.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 5000))])));
  };
  try {
    for (let i = 0; i < size; i++) {
      const routes = routePorts.filter((_, j) => j !== i).map((p) => `"nats-route://127.0.0.1:${p}"`);
      const extraConfig = [
        `server_name: ${names[i]}`,
        `cluster {\n  name: ${clusterName}\n  listen: "127.0.0.1:${routePorts[i]}"\n  routes: [${routes.join(', ')}]\n}`,
        opts.extraConfig ?? '',
      ].join('\n');
      servers.push(await startNatsServer({ extraConfig }));
    }
    const urls = servers.map((s) => s.url);
    if (opts.ready === 'routes') await waitForRoutes(urls, opts.readyTimeoutMs ?? 30_000);
    else await waitForJetStream(urls, size, opts.readyTimeoutMs ?? 60_000);
    return {
      servers,
      urls,
      names,
      byName: (name) => {
        const i = names.indexOf(name);
        if (i < 0) throw new Error(`no nats-server named ${name} in this cluster (${names.join(', ')})`);
        return servers[i]!;
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * Resolves once a message published on each server reaches a subscriber on every other one:
 * the routes are up (core NATS only; JetStream may still be electing its meta leader).
 * Call it again after restarting a server, before relying on its routes.
 */
export async function waitForRoutes(urls: string[], timeoutMs = 30_000): Promise<void> {
  const conns = await Promise.all(urls.map((u) => connect({ servers: u, maxReconnectAttempts: -1, reconnectTimeWait: 100 })));
  let probe = 0;
  const routed = async () => {
    const subject = `routes-probe.${Date.now()}.${probe++}`;
    const heard = conns.map(() => new Set<number>());
    const subs = conns.map((nc, i) =>
      nc.subscribe(subject, {
        callback: (_err, msg) => {
          heard[i]!.add(Number(msg.string()));
        },
      }),
    );
    await Promise.all(conns.map((nc) => nc.flush()));
    conns.forEach((nc, i) => nc.publish(subject, String(i)));
    await Promise.all(conns.map((nc) => nc.flush()));
    // what crosses a route arrives after the flush: give it a moment before counting
    await new Promise((r) => setTimeout(r, 100));
    for (const sub of subs) sub.unsubscribe();
    return heard.every((h) => h.size === conns.length);
  };
  try {
    await until(`NATS cluster: routes between ${urls.join(', ')} up`, routed, { timeoutMs, everyMs: 200 });
  } finally {
    await Promise.all(conns.map((nc) => nc.close()));
  }
}

/** Polls until a probe stream with `replicas` replicas can be created (then deletes it). */
async function waitForJetStream(urls: string[], replicas: number, timeoutMs: number): Promise<void> {
  const nc = await connect({ servers: urls, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const placeProbe = async () => {
    // jetstreamManager asks for account info, which fails too until JetStream is up
    const jsm = await jetstreamManager(nc, { timeout: 5000 });
    const name = `READY_PROBE_${Date.now()}`;
    await jsm.streams.add({ name, subjects: [`ready-probe.${Date.now()}`], num_replicas: replicas });
    await jsm.streams.delete(name);
  };
  try {
    await eventually(`NATS cluster: JetStream places an R${replicas} stream`, placeProbe, { timeoutMs, everyMs: 250 });
  } finally {
    await nc.close();
  }
}
