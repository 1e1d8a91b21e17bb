/**
 * The child side of `glup sim --workers` (src/sim/pool.ts): reads seeds from stdin, one per
 * line, runs each like an in-process batch would, and writes one line `{"result": …}` per
 * seed to stdout. It ends when stdin closes; nothing else goes to stdout.
 */
import { createInterface } from 'node:readline';
import { createCoverageCollector } from './coverage/collect.js';
import { loadMachines } from './coverage/machines.js';
import type { SimOptions } from './options.js';
import { runSeed, type SimTuning } from './run.js';

export async function runWorker(opts: SimOptions, tuning: Pick<SimTuning, 'outDir' | 'settleBoundMs'> = {}): Promise<void> {
  const collector = opts.coverage ? createCoverageCollector(await loadMachines()) : null;
  for await (const line of createInterface({ input: process.stdin })) {
    const seed = Number(line.trim());
    if (!line.trim() || !Number.isSafeInteger(seed)) continue;
    const result = await runSeed(seed, opts, { ...tuning, log: () => {}, ...(collector ? { onInspect: (e) => collector.observe(e) } : {}) });
    if (collector) result.transitions = collector.drain();
    result.worker = { pid: process.pid, rssMb: Math.round(process.memoryUsage().rss / 1e6) };
    process.stdout.write(`${JSON.stringify({ result })}\n`);
  }
}
