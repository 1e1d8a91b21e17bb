/**
 * The summary of a batch of seeds (SPEC section 9's `--json` line, plus `shapes` and
 * `workload`), built the same way from results run here or reported by worker processes.
 */
import { INVARIANT_NUMBER } from './invariants.js';
import type { SimOptions, SimSummary } from './options.js';
import type { SeedResult } from './run.js';

export function newSummary(opts: Pick<SimOptions, 'faults'>): SimSummary {
  const summary: SimSummary = { runs: 0, violations: 0, failures: [], faults: {}, simulatedMs: 0, shapes: {}, workload: {} };
  for (const f of opts.faults) summary.faults[f] = 0;
  return summary;
}

export function addResult(summary: SimSummary, r: SeedResult): void {
  summary.runs++;
  // whole ms per seed: the total does not depend on the order results arrive in
  summary.simulatedMs += Math.round(r.simulatedMs);
  for (const [k, n] of Object.entries(r.faults)) summary.faults[k] = (summary.faults[k] ?? 0) + n;
  for (const [k, n] of Object.entries(r.workload)) summary.workload![k] = (summary.workload![k] ?? 0) + n;
  const shape = (summary.shapes![String(r.nodes)] ??= { runs: 0, violations: 0, steps: [r.steps, r.steps] });
  shape.runs++;
  shape.steps = [Math.min(shape.steps[0], r.steps), Math.max(shape.steps[1], r.steps)];
  if (r.settleNotOwed) (summary.settleNotOwed ??= []).push(r.seed);
  if (!r.violations.length) return;
  const first = r.violations[0]!;
  summary.violations++;
  shape.violations++;
  summary.failures.push({
    seed: r.seed,
    invariant: `${INVARIANT_NUMBER[first.invariant]} ${first.invariant}`,
    scenario: r.scenarioFile ?? '',
    ...(r.originalFile ? { original: r.originalFile } : {}),
    nodes: r.nodes,
    steps: r.steps,
  });
}

/** Rounds the time and orders failures and shapes, so the line does not depend on worker timing. */
export function finishSummary(summary: SimSummary): SimSummary {
  summary.simulatedMs = Math.round(summary.simulatedMs);
  summary.failures.sort((a, b) => a.seed - b.seed);
  summary.settleNotOwed?.sort((a, b) => a - b);
  summary.shapes = Object.fromEntries(Object.entries(summary.shapes ?? {}).sort(([a], [b]) => Number(a) - Number(b)));
  summary.workload = Object.fromEntries(Object.entries(summary.workload ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)));
  return summary;
}

/** The stderr lines of a failing seed: what broke, and the files that reproduce it. */
export function failureLines(r: SeedResult): string[] {
  if (!r.violations.length) return r.settleNotOwed ? [`seed ${r.seed} (${r.nodes} nodes, ${r.steps} steps): invariant 4 not owed: ${r.settleNotOwed}`] : [];
  const first = r.violations[0]!;
  const lines = [`seed ${r.seed} (${r.nodes} nodes, ${r.steps} steps): invariant ${INVARIANT_NUMBER[first.invariant]} (${first.invariant}) violated: ${first.detail}`];
  for (const v of r.violations.slice(1, 5)) lines.push(`  also ${v.invariant}: ${v.detail}`);
  if (!r.scenarioFile) return lines;
  if (r.shrink && r.originalFile) lines.push(`  shrunk from ${r.shrink.from} to ${r.shrink.to} steps in ${r.shrink.runs} runs`);
  // --check runs a file as the sim did; glup run may stop at a failed step the file cannot expect
  lines.push(`  reproduce: glup sim --check ${r.scenarioFile}`);
  if (r.originalFile) lines.push(`  original:  glup sim --check ${r.originalFile}`);
  return lines;
}

/** The human line: runs, violations, time, and seeds per shape. */
export function summaryLine(s: SimSummary): string {
  const shapes = Object.entries(s.shapes ?? {})
    .map(([nodes, c]) => `${nodes} nodes ×${c.runs} (steps ${c.steps[0] === c.steps[1] ? c.steps[0] : `${c.steps[0]}–${c.steps[1]}`}${c.violations ? `, ${c.violations} failing` : ''})`)
    .join(', ');
  const notOwed = s.settleNotOwed?.length ? `; no settle owed: ${s.settleNotOwed.length} (seeds ${s.settleNotOwed.join(', ')})` : '';
  return `${s.runs} runs, ${s.violations} violations, ${s.simulatedMs} ms simulated${shapes ? `; ${shapes}` : ''}${notOwed}`;
}
