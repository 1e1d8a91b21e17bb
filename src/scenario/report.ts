/**
 * `glup run --report FILE.html`: the run as one self-contained page. It is the dashboard's
 * trace page (src/dashboard: the timeline with failovers and elections, the sequence
 * diagram, the statecharts, the log and the database, all scrubbable) with the run's
 * summary and steps on top; the summary and steps are plain HTML, readable without scripts.
 */
import { traceData } from '../dashboard/data.js';
import { renderPage } from '../dashboard/page.js';
import { parseTrace, type TraceLine } from './trace.js';
import type { RunSummary } from './types.js';

export async function renderReport(summary: RunSummary, traceLines: (string | TraceLine)[]): Promise<string> {
  const text = traceLines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
  const trace = parseTrace(text, `${summary.scenario} (run)`);
  return renderPage(await traceData(trace, { mode: 'report', summary }));
}
