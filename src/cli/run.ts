/**
 * `glup run <scenario.yaml>…`: validates every file first (one bad file → exit 2, nothing
 * runs), then runs them in order through src/scenario/run.ts. Summaries go to stdout as the
 * last lines with --json; progress and failures go to stderr.
 */
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { Option, type Command } from 'commander';
import { loadScenarioFile, ScenarioError } from '../scenario/parse.js';
import { renderReport } from '../scenario/report.js';
import { formatTimeline } from '../scenario/summary.js';
import { writeTraceFile, type StepLine } from '../scenario/trace.js';
import type { PersistenceKind, RunOptions, RunScenarios, ScenarioRunResult, ScenarioSource, TransportKind } from '../scenario/types.js';
import { DEFAULT_NATS_URL, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, intArg, loadImplementation, log, out } from './common.js';

interface RunFlags {
  transport: TransportKind;
  nats?: string;
  persistence?: PersistenceKind;
  seed?: number;
  trace?: string;
  report?: string;
  keepData?: string;
  json?: boolean;
  timeline?: boolean;
}

export function register(program: Command): void {
  program
    .command('run')
    .description('run scenario scripts (SPEC section 10); exit 1 when an expectation fails, 2 on a bad file')
    .argument('<scenario.yaml...>', 'scenario files, run in order')
    .addOption(new Option('--transport <kind>', 'bus to run on').choices(['memory', 'nats']).default('memory'))
    .option('--nats <url>', `NATS server URL for --transport nats (default ${DEFAULT_NATS_URL})`)
    .addOption(new Option('--persistence <kind>', "store for every node (overrides the scenario's cluster.persistence)").choices(['memory', 'file', 'jetstream']))
    .option('--seed <n>', "seed (overrides the scenario's seed)", intArg(0))
    .option('--trace <file>', 'write the trace (JSON lines) here')
    .option('--report <file.html>', 'write an HTML report of the run here')
    .option('--keep-data <dir>', 'keep file stores (or NATS streams) here instead of deleting them')
    .option('--json', 'print one JSON summary line per scenario as the last lines of stdout')
    .option('--timeline', 'print a readable timeline of each run (who was manager when, failovers, updates)')
    .action(async (files: string[], flags: RunFlags) => {
      process.exitCode = await runCommand(files, flags);
    });
}

export async function runCommand(files: string[], flags: RunFlags): Promise<number> {
  const sources: ScenarioSource[] = [];
  for (const file of files) {
    try {
      sources.push(await loadScenarioFile(file));
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      log(err.message);
      return EXIT_BAD_INPUT;
    }
  }
  if (flags.nats !== undefined && flags.transport !== 'nats') {
    log('--nats needs --transport nats');
    return EXIT_BAD_INPUT;
  }
  for (const s of sources) {
    const persistence = flags.persistence ?? s.scenario.cluster.persistence;
    if (persistence === 'jetstream' && flags.transport !== 'nats') {
      log(`${s.file}: persistence jetstream needs --transport nats`);
      return EXIT_BAD_INPUT;
    }
  }

  const runScenarios = await loadImplementation<RunScenarios>('../scenario/run.js', 'runScenarios', 'run');
  if (!runScenarios) return EXIT_FAILED;
  const opts: RunOptions = { transport: flags.transport };
  if (flags.transport === 'nats') opts.nats = flags.nats ?? DEFAULT_NATS_URL;
  if (flags.persistence) opts.persistence = flags.persistence;
  if (flags.seed !== undefined) opts.seed = flags.seed;
  if (flags.keepData) opts.keepData = flags.keepData;

  let results: ScenarioRunResult[];
  try {
    results = await runScenarios(sources, opts);
  } catch (err) {
    if (err instanceof ScenarioError) {
      log(err.message);
      return EXIT_BAD_INPUT;
    }
    throw err;
  }

  const names = results.map((r) => r.summary.scenario);
  for (const [i, r] of results.entries()) {
    const source = sources[i]!;
    if (flags.trace) await writeTraceFile(outputPath(flags.trace, names, i), r.trace);
    if (flags.report) await writeFile(outputPath(flags.report, names, i), await renderReport(r.summary, r.trace));
    log(outcomeLine(source, r));
    if (flags.timeline) out(`${formatTimeline(r.summary, r.trace)}\n`);
  }
  if (flags.json) for (const r of results) out(JSON.stringify(r.summary));
  return results.every((r) => r.summary.passed) ? EXIT_OK : EXIT_FAILED;
}

function outcomeLine(source: ScenarioSource, r: ScenarioRunResult): string {
  const s = r.summary;
  if (s.passed) return `PASS ${s.scenario} (${source.file}, seed ${s.seed}, ${s.steps.length} steps)`;
  const failed = r.trace
    .map((l) => JSON.parse(l) as { kind: string })
    .find((l): l is StepLine => l.kind === 'step' && !(l as StepLine).ok);
  if (!failed) return `FAIL ${s.scenario} (${source.file}, seed ${s.seed})`;
  const line = source.stepLines[failed.i];
  return `FAIL ${s.scenario}: ${source.file}${line ? `:${line}` : ''}: step ${failed.i} (${Object.keys(failed.step)[0]}) ${failed.error ?? 'failed'} (seed ${s.seed})`;
}

/** One scenario: the path as given; several: `<stem>.<scenario name><ext>`, unique. */
function outputPath(path: string, names: string[], i: number): string {
  if (names.length === 1) return path;
  const ext = extname(path);
  const stem = ext ? path.slice(0, -ext.length) : path;
  const name = names[i]!;
  const unique = names.filter((n) => n === name).length === 1;
  return `${stem}.${unique ? name : `${i}-${name}`}${ext}`;
}
