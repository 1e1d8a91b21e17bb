/**
 * The node of a `glup node` process as its metrics server sees it: whichever life is current.
 * After a store failure the process starts a new node on the same data; the metrics server and
 * its listeners stay, and move to the new node.
 */
import type { NodeRuntime } from '../actors/runtime.js';
import type { MetricsSource } from '../admin/metrics.js';

export class CurrentNode implements MetricsSource {
  private readonly subscriptions: { event: string; fn: (...args: any[]) => void; off: () => void }[] = [];

  constructor(private node: NodeRuntime) {}

  /** Moves every listener to `node`, the next life. */
  replace(node: NodeRuntime): void {
    for (const s of this.subscriptions) {
      s.off();
      s.off = node.on(s.event as 'role', s.fn);
    }
    this.node = node;
  }

  get cluster() {
    return this.node.cluster;
  }
  get id() {
    return this.node.id;
  }
  get role() {
    return this.node.role;
  }
  get epoch() {
    return this.node.epoch;
  }
  get committedSeq() {
    return this.node.committedSeq;
  }
  get db() {
    return this.node.db;
  }
  get metrics() {
    return this.node.metrics;
  }
  get clock() {
    return this.node.clock;
  }
  /** Hosted actors of the current life (activations gauge and counters). */
  get actors() {
    return this.node.actors;
  }
  get storeHealth() {
    return this.node.storeHealth;
  }
  status() {
    return this.node.status();
  }
  on(event: string, fn: (...args: any[]) => void): () => void {
    const s = { event, fn, off: this.node.on(event as 'role', fn) };
    this.subscriptions.push(s);
    return () => {
      s.off();
      this.subscriptions.splice(this.subscriptions.indexOf(s), 1);
    };
  }
}
