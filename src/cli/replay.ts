/**
 * `glup replay <trace.jsonl>`: re-runs the scenario recorded in the trace header (with its
 * seed and overrides) and checks every line is identical (src/scenario/replay.ts).
 */
import type { Command } from 'commander';
import { ScenarioError } from '../scenario/parse.js';
import { readTraceFile, type ParsedTrace, type TraceComparison } from '../scenario/trace.js';
import { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, loadImplementation, log, out } from './common.js';

/** Contract of src/scenario/replay.ts. */
export type ReplayTrace = (trace: ParsedTrace) => Promise<TraceComparison>;

export function register(program: Command): void {
  program
    .command('replay')
    .description('re-run a recorded trace and check that every transition is identical; exit 1 on a divergence')
    .argument('<trace.jsonl>', 'a trace written by glup run --trace')
    .option('--json', 'print {"identical":bool,"events":n,"divergence":{…}|null}')
    .action(async (file: string, flags: { json?: boolean }) => {
      process.exitCode = await replayCommand(file, flags);
    });
}

async function replayCommand(file: string, flags: { json?: boolean }): Promise<number> {
  let trace: ParsedTrace;
  try {
    trace = await readTraceFile(file);
  } catch (err) {
    if (!(err instanceof ScenarioError)) throw err;
    log(err.message);
    return EXIT_BAD_INPUT;
  }
  const replayTrace = await loadImplementation<ReplayTrace>('../scenario/replay.js', 'replayTrace', 'replay');
  if (!replayTrace) return EXIT_FAILED;
  const result = await replayTrace(trace);
  if (flags.json) {
    out(JSON.stringify({ identical: result.identical, events: result.events, divergence: result.divergence }));
  } else if (result.identical) {
    out(`identical: ${result.events} events of ${trace.header.scenario.name} (seed ${trace.header.seed})`);
  } else {
    const d = result.divergence!;
    out(`diverged at event ${d.index} of ${result.events}`);
    out(`  expected: ${d.expected === null ? '(end of trace)' : JSON.stringify(d.expected)}`);
    out(`  actual:   ${d.actual === null ? '(end of trace)' : JSON.stringify(d.actual)}`);
  }
  return result.identical ? EXIT_OK : EXIT_FAILED;
}
