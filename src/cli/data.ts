/**
 * The data plane from a shell (SPEC section 9, added 2026-11-29), like `etcdctl get/put`:
 *   glup get <path>                          the committed value and the seq it was read at
 *   glup put <path> <json>                   set, through GLUP
 *   glup delete <path>
 *   glup cas <path> --expect <json> <json>   compare-and-set; CAS_FAILED exits 1
 *   glup watch <prefix> [--from-seq N]       committed updates under prefix, until interrupted
 * all with --cluster C, the connection flags and --json. Values are JSON text. Exit codes:
 * 0 done, 1 refused or no answer (CAS_FAILED, TIMEOUT, NO_QUORUM), 2 bad input (a flag, a
 * path, JSON that does not parse, an op the cluster calls INVALID_OP).
 */
import type { Command } from 'commander';
import type { UpdateRecord } from '../db/types.js';
import { parsePath } from '../db/paths.js';
import { GlupError } from '../errors.js';
import { clusterArg, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, intArg, log, out, UsageError } from './common.js';
import { addConnectionFlags, checkConnectionFlags, connectionOptions, type ConnectionFlags } from './connection.js';

interface DataFlags extends ConnectionFlags {
  cluster: string;
  json?: boolean;
  /** Not on watch, which keeps trying until interrupted. */
  timeout?: number;
}

export function register(program: Command): void {
  dataCommand(program, 'get <path>', 'print the committed value at path and the seq it was read at').action(async (path: string, flags: DataFlags) => {
    checkPath(path);
    await run(flags, async (opts) => {
      const { dataGet } = await import('../admin/data.js');
      const r = await dataGet(opts, path);
      if (flags.json) out(JSON.stringify({ path: r.path, value: r.value, seq: r.seq }));
      else {
        if (r.value !== null) out(JSON.stringify(r.value));
        log(r.value === null ? `${path}: absent at seq ${r.seq} (read from ${r.node})` : `read at seq ${r.seq} from ${r.node}`);
      }
    });
  });
  dataCommand(program, 'put <path> <json>', 'set path to a JSON value through GLUP').action(async (path: string, json: string, flags: DataFlags) => {
    checkPath(path);
    const value = parseJson('<json>', json);
    await write(flags, { action: 'put', path, value });
  });
  dataCommand(program, 'delete <path>', 'delete path through GLUP').action(async (path: string, flags: DataFlags) => {
    checkPath(path);
    await write(flags, { action: 'delete', path });
  });
  dataCommand(program, 'cas <path> <json>', 'set path to a JSON value only if it now holds --expect (null: absent); CAS_FAILED exits 1')
    .requiredOption('--expect <json>', 'the value path must hold now (JSON; null for absent)')
    .action(async (path: string, json: string, flags: DataFlags & { expect: string }) => {
      checkPath(path);
      const expect = parseJson('--expect', flags.expect);
      const value = parseJson('<json>', json);
      await write(flags, { action: 'cas', path, expect, value });
    });
  dataCommand(program, 'watch <prefix>', 'print every committed update touching prefix (\'\' for all), one line each, until interrupted', { retries: false })
    .option('--from-seq <n>', 'start with the history from this seq', intArg(1))
    .action(async (prefix: string, flags: DataFlags & { fromSeq?: number }) => {
      if (prefix !== '') checkPath(prefix);
      await run(flags, async (opts) => {
        const { dataWatch } = await import('../admin/data.js');
        const stop = new AbortController();
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
        await dataWatch(opts, prefix, flags.fromSeq, (r) => out(flags.json ? JSON.stringify(watchJson(r)) : watchLine(r)), stop.signal);
      });
    });
}

function dataCommand(program: Command, spec: string, description: string, opts: { retries?: boolean } = {}): Command {
  const command = program.command(spec).description(description).requiredOption('--cluster <name>', 'cluster name', clusterArg).option('--json', 'print JSON');
  if (opts.retries !== false) command.option('--timeout <ms>', 'how long to keep trying (a write is resent with the same submission id)', intArg(100), 30_000);
  return addConnectionFlags(command);
}

async function write(flags: DataFlags, action: import('../admin/data.js').WriteAction): Promise<void> {
  await run(flags, async (opts) => {
    const { dataWrite } = await import('../admin/data.js');
    const r = await dataWrite(opts, action);
    out(flags.json ? JSON.stringify({ seq: r.seq, epoch: r.epoch }) : `committed at seq ${r.seq}, epoch ${r.epoch}`);
  });
}

async function run(flags: DataFlags, fn: (opts: import('../admin/data.js').DataOptions) => Promise<void>): Promise<void> {
  checkConnectionFlags(flags);
  const opts = { cluster: flags.cluster, as: flags.as!, connection: connectionOptions(flags, flags.as!), ...(flags.timeout !== undefined && { timeoutMs: flags.timeout }) };
  try {
    await fn(opts);
    process.exitCode = EXIT_OK;
  } catch (e) {
    if (!(e instanceof GlupError)) throw e;
    process.stderr.write(`error: ${e.message}\n`);
    process.exitCode = e.code === 'INVALID_OP' ? EXIT_BAD_INPUT : EXIT_FAILED;
  }
}

function checkPath(path: string): void {
  try {
    parsePath(path);
  } catch (e) {
    throw new UsageError(`<path> "${path}": ${(e as Error).message.replace(/^[A-Z_]+: /, '')}`);
  }
}

function parseJson(what: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} is not JSON: ${(e as Error).message} (a string needs quotes: '"blue"')`);
  }
}

/** One record as `glup watch` prints it: seq, epoch, origin and the operation. */
export function watchLine(r: UpdateRecord): string {
  return `${r.seq} epoch ${r.epoch} ${r.origin} ${JSON.stringify(r.op)}`;
}

export function watchJson(r: UpdateRecord): Record<string, unknown> {
  return { seq: r.seq, epoch: r.epoch, origin: r.origin, id: r.id, ts: r.ts, op: r.op };
}
