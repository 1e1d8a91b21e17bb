/**
 * `glup sim --workers W`: the seeds spread over W child processes, each started the way
 * bin/glup.js starts the CLI (the build when there is one, else the TypeScript sources
 * through tsx) as `glup sim --worker …` with the same shape, fault and workload flags. The
 * parent hands out one seed at a time on the child's stdin, so a slow seed does not hold up
 * a whole slice; the child answers each with one JSON line `{"result": SeedResult}`. After
 * `workerSeeds` seeds a child is told to finish (stdin closed) and a fresh one takes its
 * place, so the memory of one process stays flat however many seeds run. A child that dies
 * while running a seed reports that seed as a `no-crash` violation, and the batch goes on.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SHRINK_RUNS, DEFAULT_WORKER_SEEDS, SIM_WORKLOADS, type SimOptions, type SimSummary } from './options.js';
import { seedsOf, type SeedResult, type SimTuning } from './run.js';
import { formatShapeChoice, shapeForSeed } from './shapes.js';
import { addResult, failureLines, finishSummary, newSummary } from './summary.js';

const GLUP_BIN = fileURLToPath(new URL('../../bin/glup.js', import.meta.url));
/** Lines of a child's stderr kept to explain its death. */
const STDERR_TAIL = 20;

/** The child's command line: `glup sim --worker` with everything that decides a seed's run. */
export function workerArgs(opts: SimOptions, tuning: SimTuning): string[] {
  const args = [
    'sim',
    '--worker',
    '--nodes',
    formatShapeChoice(opts.nodes),
    '--steps',
    formatShapeChoice(opts.steps),
    '--faults',
    opts.faults.join(','),
    '--workload',
    (opts.workloads ?? SIM_WORKLOADS).join(','),
    '--shrink-runs',
    String(opts.shrinkRuns ?? DEFAULT_SHRINK_RUNS),
  ];
  if (opts.coverage) args.push('--collect-transitions');
  if (tuning.outDir) args.push('--out-dir', tuning.outDir);
  if (tuning.settleBoundMs !== undefined) args.push('--settle-bound-ms', String(tuning.settleBoundMs));
  return args;
}

export async function runPool(opts: SimOptions, tuning: SimTuning = {}): Promise<SimSummary> {
  const log = tuning.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const queue = seedsOf(opts);
  const perChild = Math.max(1, opts.workerSeeds ?? DEFAULT_WORKER_SEEDS);
  const summary = newSummary(opts);
  const args = workerArgs(opts, tuning);

  const accept = (r: SeedResult) => {
    addResult(summary, r);
    tuning.onResult?.(r);
    if (r.transitions?.length) tuning.onTaken?.(r.transitions);
    for (const line of failureLines(r)) log(line);
  };

  /** One child: seeds one at a time until it has run `perChild` or the queue is empty. */
  const runChild = () =>
    new Promise<void>((resolve) => {
      const [command, ...prefix] = tuning.workerCommand ?? [process.execPath, GLUP_BIN];
      const child = spawn(command!, [...prefix, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      const tail: string[] = [];
      const keep = (line: string) => {
        tail.push(line);
        if (tail.length > STDERR_TAIL) tail.shift();
      };
      let inFlight: number | null = null;
      let done = 0;
      const next = () => {
        const seed = done < perChild ? queue.shift() : undefined;
        if (seed === undefined) {
          inFlight = null;
          child.stdin.end();
          return;
        }
        inFlight = seed;
        child.stdin.write(`${seed}\n`);
      };
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (!line.startsWith('{"result":')) return keep(line);
        accept((JSON.parse(line) as { result: SeedResult }).result);
        done++;
        next();
      });
      createInterface({ input: child.stderr }).on('line', keep);
      // a child gone before its stdin closes (crash) must not take the parent down with EPIPE
      child.stdin.on('error', () => {});
      child.on('close', (code, signal) => {
        if (inFlight !== null) {
          const shape = shapeForSeed(inFlight, opts.nodes, opts.steps);
          accept({
            seed: inFlight,
            ...shape,
            violations: [
              {
                invariant: 'no-crash',
                detail: `the worker process running it exited (code ${code}, signal ${signal}): ${tail.slice(-5).join(' | ') || 'no output'}`,
              },
            ],
            faults: {},
            workload: {},
            simulatedMs: 0,
            scenarioFile: null,
            originalFile: null,
            observed: { managers: 0, commits: 0, acks: 0, crashes: 1, views: 0, memberships: 0, actorCommits: 0, actorAcks: 0 },
          });
        }
        resolve();
      });
      next();
    });

  const lane = async () => {
    while (queue.length) await runChild();
  };
  await Promise.all(Array.from({ length: Math.min(opts.workers ?? 1, queue.length) }, lane));
  return finishSummary(summary);
}
