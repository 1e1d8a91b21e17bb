/**
 * The transition coverage report: per chart, the transitions taken out of those defined,
 * and the list never taken. Written as JSON (`.json`) or Markdown (any other name).
 */
import { writeFile } from 'node:fs/promises';
import type { NamedMachine } from './machines.js';
import { describeTransition, enumerateTransitions } from './transitions.js';

export interface MachineCoverage {
  machine: string;
  covered: number;
  total: number;
  /** Transitions never taken, one line each (`source --event [guard]--> targets`). */
  never: string[];
}

export interface CoverageReport {
  /** What the transitions were collected from. */
  sources: { scenarios: { file: string; passed: boolean }[]; seeds: number; inspectionShape: string };
  machines: MachineCoverage[];
}

export function coverageOf(machines: readonly NamedMachine[], taken: ReadonlySet<string>): MachineCoverage[] {
  return machines.map(({ name, machine }) => {
    const all = enumerateTransitions(name, machine);
    const never = all.filter((t) => !taken.has(`${name}:${t.key}`));
    return { machine: name, covered: all.length - never.length, total: all.length, never: never.map(describeTransition) };
  });
}

export function summaryLines(report: CoverageReport): string[] {
  const pct = (m: MachineCoverage) => (m.total ? Math.round((100 * m.covered) / m.total) : 100);
  return report.machines.map((m) => `${m.machine}: ${m.covered}/${m.total} transitions taken (${pct(m)}%), ${m.never.length} never`);
}

export function markdown(report: CoverageReport): string {
  const lines = [
    '# Transition coverage',
    '',
    `Collected from ${report.sources.scenarios.length} scenarios and ${report.sources.seeds} sim seeds (${report.sources.inspectionShape}).`,
    '',
    '| machine | taken | total |',
    '|---|---|---|',
    ...report.machines.map((m) => `| ${m.machine} | ${m.covered} | ${m.total} |`),
  ];
  for (const m of report.machines) {
    lines.push('', `## ${m.machine}: never taken (${m.never.length})`, '');
    lines.push(...(m.never.length ? m.never.map((t) => `- \`${t}\``) : ['(none)']));
  }
  const failed = report.sources.scenarios.filter((s) => !s.passed);
  if (failed.length) lines.push('', `Scenarios that failed (their transitions still count): ${failed.map((s) => s.file).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

export async function writeReport(file: string, report: CoverageReport): Promise<void> {
  await writeFile(file, file.endsWith('.json') ? `${JSON.stringify(report, null, 2)}\n` : markdown(report));
}
