/** `glup viz`: exports the statecharts (src/viz/export.ts). */
import { Option, type Command } from 'commander';
import { EXIT_FAILED, EXIT_OK, loadImplementation, UsageError } from './common.js';

export type VizFormat = 'mermaid' | 'svg' | 'json' | 'xstate';

export interface VizOptions {
  /** One machine by name; all machines when absent. */
  machine?: string;
  format: VizFormat;
  /** Directory to write one file per machine; stdout when absent. */
  out?: string;
}

/** Contract of src/viz/export.ts; an unknown machine name is an Error whose message lists the names. */
export type ExportMachines = (opts: VizOptions) => Promise<void>;

export function register(program: Command): void {
  program
    .command('viz')
    .description('export the statecharts (src/machines): mermaid, SVG laid out by ELK, the JSON graph, or XState JSON config')
    .option('--machine <name>', 'one machine (default: all)')
    .addOption(new Option('--format <format>', 'output format').choices(['mermaid', 'svg', 'json', 'xstate']).default('mermaid'))
    .option('--out <dir>', 'write one file per machine here (default: stdout)')
    .action(async (flags: VizOptions) => {
      const exportMachines = await loadImplementation<ExportMachines>('../viz/export.js', 'exportMachines', 'viz');
      if (!exportMachines) {
        process.exitCode = EXIT_FAILED;
        return;
      }
      try {
        await exportMachines(flags);
      } catch (e) {
        // an unknown --machine is bad input: exit 2 (src/cli/main.ts)
        if (e instanceof Error && e.name === 'UnknownMachineError') throw new UsageError(e.message);
        throw e;
      }
      process.exitCode = EXIT_OK;
    });
}
