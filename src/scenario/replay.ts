/**
 * `glup replay`: re-runs the scenario a trace header records, with the recorded seed and
 * overrides, and compares the new trace with the recorded one line by line. On the memory
 * transport a run is a pure function of scenario and seed, so any difference means the
 * code (a machine, the protocol, the runner) behaves differently from when it was recorded.
 */
import { runScenario } from './run.js';
import { compareTraces, type ParsedTrace, type TraceComparison } from './trace.js';

export async function replayTrace(trace: ParsedTrace): Promise<TraceComparison> {
  const { header } = trace;
  const result = await runScenario(header.scenario, {
    transport: header.overrides.transport,
    seed: header.seed,
    ...(header.overrides.persistence ? { persistence: header.overrides.persistence } : {}),
  });
  return compareTraces(trace, result.trace);
}
