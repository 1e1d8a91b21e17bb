/**
 * `glup viz`: writes the statecharts as Mermaid, SVG or the JSON graph they are drawn from,
 * one file per machine under `--out`, or all to stdout.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { VizOptions } from '../cli/viz.js';
import { machineGraph, type MachineGraph } from './graph.js';
import { machines } from './machines.js';
import { toMermaid } from './mermaid.js';
import { toSvg } from './svg.js';

export type { VizOptions };

const EXTENSION: Record<VizOptions['format'], string> = { mermaid: 'mmd', svg: 'svg', json: 'json' };

/** One machine's chart in `format`; an unknown name is an Error listing the known ones. */
export function renderMachine(name: string, format: VizOptions['format']): string {
  const graph = graphOf(name);
  if (format === 'json') return `${JSON.stringify(graph, null, 2)}\n`;
  if (format === 'svg') return toSvg(graph);
  return toMermaid(graph);
}

export function graphOf(name: string): MachineGraph {
  const entry = machines.find((m) => m.name === name);
  if (!entry) throw new UnknownMachineError(unknownMachineMessage(name));
  return machineGraph(entry.machine);
}

/** A machine name that is not one of glup's; the CLI treats it as bad input (exit 2). */
export class UnknownMachineError extends Error {
  override name = 'UnknownMachineError';
}

export function unknownMachineMessage(name: string): string {
  return `unknown machine "${name}"; known machines: ${machines.map((m) => m.name).join(', ')}`;
}

export async function exportMachines(opts: VizOptions): Promise<void> {
  const names = opts.machine !== undefined ? [opts.machine] : machines.map((m) => m.name);
  // Render everything before writing anything, so a bad name leaves no partial output.
  const rendered = names.map((name) => ({ name, text: renderMachine(name, opts.format) }));
  if (opts.out !== undefined) {
    await mkdir(opts.out, { recursive: true });
    for (const { name, text } of rendered) await writeFile(join(opts.out, `${name}.${EXTENSION[opts.format]}`), text);
    return;
  }
  // Several JSON graphs on stdout form one array, so the output stays one JSON document.
  if (opts.format === 'json' && opts.machine === undefined) {
    process.stdout.write(`${JSON.stringify(names.map(graphOf), null, 2)}\n`);
    return;
  }
  process.stdout.write(rendered.map((r) => r.text).join('\n'));
}
