/**
 * The statecharts to measure, read generically from whichever module lists them: the
 * machines' own index (src/machines/index.ts, once it exists) or the list `glup viz` uses
 * (src/viz/machines.ts). Either may export `machines` as a list of `{name, machine}` or as
 * a record name → machine.
 */
import type { AnyStateMachine } from 'xstate';

export interface NamedMachine {
  name: string;
  machine: AnyStateMachine;
}

const SOURCES = ['../../machines/index.js', '../../viz/machines.js'];

export async function loadMachines(): Promise<NamedMachine[]> {
  for (const specifier of SOURCES) {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(new URL(specifier, import.meta.url).href)) as Record<string, unknown>;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(specifier.replace(/^(\.\.\/)+/, '').replace(/\.js$/, ''))) continue;
      throw err;
    }
    const list = machineList(mod.machines ?? mod.default);
    if (list.length) return list;
  }
  throw new Error(`no machine list found (looked for an export "machines" in ${SOURCES.map((s) => s.replace('../../', 'src/').replace(/\.js$/, '.ts')).join(' and ')})`);
}

export function machineList(value: unknown): NamedMachine[] {
  if (Array.isArray(value)) {
    return value.filter((e): e is NamedMachine => !!e && typeof e === 'object' && isMachine((e as NamedMachine).machine)).map((e) => ({ name: String(e.name), machine: e.machine }));
  }
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .filter(([, m]) => isMachine(m))
      .map(([name, m]) => ({ name, machine: m as AnyStateMachine }));
  }
  return [];
}

function isMachine(m: unknown): m is AnyStateMachine {
  return !!m && typeof m === 'object' && 'root' in m && 'config' in m;
}
