/**
 * `glup sim --check FILE`: runs a scenario file (a written sim failure, shrunk or not, or
 * any scenario) on the memory transport with glup sim's observers and reports the
 * invariants it breaks — also those that are no scenario condition (1, 2, 3, 5, 6, 7).
 * The file's last `waitFor` is taken as the settle and its last `expect` as the point where
 * the settled state is read (invariant 4), as in generated runs.
 */
import { loadScenarioFile } from '../scenario/parse.js';
import { stepKind } from '../scenario/types.js';
import { executeRun, frameOf } from './execute.js';
import type { Violation } from './invariants.js';

export async function checkScenarioFile(file: string): Promise<{ violations: Violation[]; simulatedMs: number; settleNotOwed: string | null }> {
  const { scenario } = await loadScenarioFile(file);
  const kinds = scenario.steps.map(stepKind);
  const settleStep = kinds.lastIndexOf('waitFor');
  const finalStep = kinds.lastIndexOf('expect');
  const { violations, observer } = await executeRun(scenario, frameOf(scenario, settleStep < 0 ? scenario.steps.length : settleStep, finalStep));
  return { violations, simulatedMs: observer.simulatedMs(), settleNotOwed: observer.settleNotOwed() };
}
