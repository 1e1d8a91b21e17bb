/**
 * `glup viz`: writes the statecharts as Mermaid, SVG (laid out by ELK), the JSON graph they
 * are drawn from, or XState's own JSON config; one file per machine under `--out`, or all
 * to stdout. The machines are those of src/machines/index.ts, whatever it lists.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AnyStateMachine } from 'xstate';
import type { VizFormat, VizOptions } from '../cli/viz.js';
import { machines } from '../machines/index.js';
import { machineGraph, type MachineGraph } from './graph.js';
import { layoutMachine } from './layout.js';
import { toMermaid } from './mermaid.js';
import { toSvg } from './svg.js';
import { toXStateConfig } from './xstate.js';

export type { VizOptions };

const EXTENSION: Record<VizFormat, string> = { mermaid: 'mmd', svg: 'svg', json: 'json', xstate: 'xstate.json' };

/** The names `--machine` takes, in the list's order. */
export function machineNames(): string[] {
  return Object.keys(machines);
}

/** One machine's chart in `format`; an unknown name is an UnknownMachineError listing the known ones. */
export async function renderMachine(name: string, format: VizFormat): Promise<string> {
  const graph = graphOf(name);
  if (format === 'json') return `${JSON.stringify(graph, null, 2)}\n`;
  if (format === 'xstate') return `${JSON.stringify(toXStateConfig(graph), null, 2)}\n`;
  if (format === 'svg') return toSvg(await layoutMachine(graph));
  return toMermaid(graph);
}

export function graphOf(name: string): MachineGraph {
  const machine = (machines as Record<string, AnyStateMachine>)[name];
  if (!Object.hasOwn(machines, name) || !machine) throw new UnknownMachineError(unknownMachineMessage(name));
  return machineGraph(machine);
}

/** A machine name that is not one of glup's; the CLI treats it as bad input (exit 2). */
export class UnknownMachineError extends Error {
  override name = 'UnknownMachineError';
}

export function unknownMachineMessage(name: string): string {
  return `unknown machine "${name}"; known machines: ${machineNames().join(', ')}`;
}

export async function exportMachines(opts: VizOptions): Promise<void> {
  const names = opts.machine !== undefined ? [opts.machine] : machineNames();
  for (const name of names) graphOf(name); // a bad name fails before anything is laid out or written
  const rendered: { name: string; text: string }[] = [];
  for (const name of names) rendered.push({ name, text: await renderMachine(name, opts.format) });
  if (opts.out !== undefined) {
    await mkdir(opts.out, { recursive: true });
    for (const { name, text } of rendered) await writeFile(join(opts.out, `${name}.${EXTENSION[opts.format]}`), text);
    return;
  }
  // Several JSON documents on stdout form one array, so the output stays one JSON document.
  if ((opts.format === 'json' || opts.format === 'xstate') && opts.machine === undefined) {
    process.stdout.write(`${JSON.stringify(rendered.map((r) => JSON.parse(r.text)), null, 2)}\n`);
    return;
  }
  process.stdout.write(rendered.map((r) => r.text).join('\n'));
}
