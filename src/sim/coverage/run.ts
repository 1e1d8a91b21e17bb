/**
 * `glup sim --coverage FILE`: which statechart transitions the scenario scripts and the sim
 * seeds take (issue 10, item 5). Runs every scenario of a directory on the memory transport
 * and the requested seeds (in this process or on workers), feeding every node's inspection
 * stream to one collector, then writes the report and returns it with the seeds' summary.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseScenarioFile } from '../../scenario/parse.js';
import { runScenario } from '../../scenario/run.js';
import type { SimOptions, SimSummary } from '../options.js';
import { runSim, type SimTuning } from '../run.js';
import { createCoverageCollector } from './collect.js';
import { loadMachines } from './machines.js';
import { coverageOf, writeReport, type CoverageReport } from './report.js';

export interface CoverageOptions {
  /** Report file: `.json` for JSON, anything else for Markdown. */
  report: string;
  /** Scenario scripts to run (every `.yaml`/`.yml` file in it); default `scenarios`. */
  scenarios: string;
}

export async function runCoverage(opts: CoverageOptions, sim: SimOptions, tuning: SimTuning = {}): Promise<{ report: CoverageReport; summary: SimSummary | null }> {
  const machines = await loadMachines();
  const collector = createCoverageCollector(machines);
  const scenarios: CoverageReport['sources']['scenarios'] = [];
  const files = (await readdir(opts.scenarios)).filter((f) => /\.ya?ml$/.test(f)).sort();
  for (const f of files) {
    const file = join(opts.scenarios, f);
    const scenario = await parseScenarioFile(file);
    // jetstream stores need a NATS server: those scenarios are left out here
    if (scenario.cluster.persistence === 'jetstream') continue;
    const result = await runScenario(scenario, { transport: 'memory' }, { xstateInspect: (e) => collector.observe(e) });
    scenarios.push({ file, passed: result.summary.passed });
  }
  let summary: SimSummary | null = null;
  const seeds = sim.seed !== undefined ? 1 : sim.seeds;
  if (seeds > 0) {
    summary = await runSim(
      { ...sim, coverage: true },
      { ...tuning, onInspect: (e) => collector.observe(e), onTaken: (keys) => keys.forEach((k) => collector.taken().add(k)) },
    );
  }
  const report: CoverageReport = {
    sources: {
      scenarios,
      seeds: summary?.runs ?? 0,
      inspectionShape: collector.sawMicrosteps()
        ? "XState's microstep events: every transition taken is seen"
        : 'value changes only (no XState microstep events): transitions that run actions only or re-enter their state are never seen',
    },
    machines: coverageOf(machines, collector.taken()),
  };
  await writeReport(opts.report, report);
  return { report, summary };
}
