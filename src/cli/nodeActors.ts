/**
 * `glup node --actors <module>` (docs/actors.md): the hosted actor types a node process
 * defines before it starts. `demo` defines the demo counters (src/actors/hosted/demo.ts);
 * anything else is a module path (relative to the working directory) whose default export
 * is called with the node and a way to print JSON lines on stdout:
 *
 *   export default function (node, { out }) {
 *     node.actors.define('cart', cartMachine, { placement: 'sharded' });
 *   }
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { NodeRuntime } from '../actors/runtime.js';
import { DEMO_TYPES } from '../actors/hosted/demo.js';
import { out } from './common.js';

export type ActorsSetup = (node: NodeRuntime, ctx: { out(event: Record<string, unknown>): void }) => void | Promise<void>;

/** Defines the types; throws with the module's path when it cannot be loaded or has no default export. */
export async function defineNodeActors(node: NodeRuntime, spec: string): Promise<void> {
  if (spec === 'demo') {
    for (const t of DEMO_TYPES) node.actors.define(t.type, t.machine, t.opts);
    return;
  }
  const file = resolve(spec);
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (e) {
    throw new Error(`--actors ${spec}: cannot load ${file}: ${(e as Error).message}`);
  }
  if (typeof mod.default !== 'function') throw new Error(`--actors ${spec}: ${file} has no default export function (node, { out }) => …`);
  await (mod.default as ActorsSetup)(node, { out: (event) => out(JSON.stringify({ ...event, node: node.id })) });
}
