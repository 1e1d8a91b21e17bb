import { join } from 'node:path';
import { spawnGlupNode, type GlupNodeProcess } from '../../test/helpers/glupNodeProcess.js';

/**
 * The `glup node` processes of a chaos run: each id keeps its data directory across
 * kills and restarts; `current(id)` is the process running for it now.
 */
export const MEMBER_ROLES = ['manager', 'backup', 'client'];

export interface NodeSetOptions {
  cluster: string;
  ids: string[];
  natsUrl: string;
  dataRoot: string;
  /** Extra `glup node` flags (timing), the same for every node. */
  flags: string[];
}

export class NodeSet {
  private readonly procs = new Map<string, GlupNodeProcess>();
  /** Everything a node printed on stderr before it was killed, for the report of a failed run. */
  readonly stderrTails = new Map<string, string>();

  constructor(private readonly opts: NodeSetOptions) {}

  get ids(): string[] {
    return this.opts.ids;
  }

  dataDir(id: string): string {
    return join(this.opts.dataRoot, id);
  }

  start(id: string): GlupNodeProcess {
    const p = spawnGlupNode(id, [
      '--cluster', this.opts.cluster, '--id', id, '--nats', this.opts.natsUrl,
      '--data', this.dataDir(id), '--metrics-port', '0', ...this.opts.flags,
    ]);
    this.procs.set(id, p);
    return p;
  }

  current(id: string): GlupNodeProcess | undefined {
    return this.procs.get(id);
  }

  alive(id: string): boolean {
    const p = this.procs.get(id);
    return !!p && p.child.exitCode === null && p.child.signalCode === null;
  }

  /** The id whose live process last said it is manager (null when none does). */
  manager(): string | null {
    const managers = this.opts.ids.filter((id) => this.alive(id) && this.procs.get(id)!.role === 'manager');
    // Two at once only transiently (a deposed manager that has not heard yet): the higher epoch leads.
    managers.sort((a, b) => this.procs.get(b)!.roles.at(-1)!.epoch - this.procs.get(a)!.roles.at(-1)!.epoch);
    return managers[0] ?? null;
  }

  async kill9(id: string): Promise<void> {
    const p = this.procs.get(id);
    if (!p || !this.alive(id)) return;
    p.child.kill('SIGCONT'); // a paused process dies as well, but only once it runs again
    p.child.kill('SIGKILL');
    await p.exited;
    this.stderrTails.set(id, p.stderr.slice(-4000));
  }

  signal(id: string, sig: 'SIGSTOP' | 'SIGCONT'): void {
    if (this.alive(id)) this.procs.get(id)!.child.kill(sig);
  }

  /** The node's own view over its /status endpoint, or null while it cannot answer. */
  async status(id: string): Promise<{ role: string; committedSeq: number; lastSeq: number } | null> {
    const p = this.procs.get(id);
    if (!p || !this.alive(id) || p.metricsPort === undefined) return null;
    try {
      const res = await fetch(`http://127.0.0.1:${p.metricsPort}/status`, { signal: AbortSignal.timeout(2000) });
      return (await res.json()) as { role: string; committedSeq: number; lastSeq: number };
    } catch {
      return null;
    }
  }

  async killAll(): Promise<void> {
    await Promise.all(this.opts.ids.map((id) => this.kill9(id)));
  }
}
