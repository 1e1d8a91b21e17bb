/**
 * What every command shares: exit codes, option parsers that fail as bad input (exit 2),
 * and loading a command's implementation module, which may not exist yet.
 */
import { InvalidArgumentError } from 'commander';
import { isClusterName, isName } from '../ids.js';

/** SPEC section 9: 0 success; 1 a check failed; 2 bad input (flags, scenario or trace file). */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

/** A bad flag value found after commander parsed the line; main.ts exits 2 with its message. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function intArg(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`}, got "${value}"`);
    }
    return n;
  };
}

export function clusterArg(value: string): string {
  if (!isClusterName(value)) throw new InvalidArgumentError(`"${value}" is not a valid cluster name ([a-z0-9][a-z0-9-]{0,62})`);
  return value;
}

export function nameArg(value: string): string {
  if (!isName(value)) throw new InvalidArgumentError(`"${value}" is not a valid node id ([A-Za-z0-9_-], 1 to 64 characters)`);
  return value;
}

export function idListArg(value: string): string[] {
  const ids = value.split(',').map((s) => s.trim());
  const bad = ids.find((id) => !isName(id));
  if (bad !== undefined) throw new InvalidArgumentError(`"${bad}" is not a valid node id in "${value}"`);
  return ids;
}

/** Ports: 0 lets the OS choose. */
export const portArg = intArg(0, 65535);

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/**
 * Imports `specifier` (relative to src/cli) and returns its export `name`. A missing module
 * means the command is not built yet: it prints `not supported yet: <command>` and returns
 * null, and the caller exits 1.
 */
export async function loadImplementation<F>(specifier: string, name: string, command: string): Promise<F | null> {
  const url = new URL(specifier, import.meta.url);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url.href)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ERR_MODULE_NOT_FOUND') throw err;
    const message = (err as Error).message;
    const target = url.pathname.replace(/\.js$/, '');
    process.stderr.write(message.includes(target) ? `not supported yet: ${command}\n` : `not supported yet: ${command} (${message.split('\n')[0]})\n`);
    return null;
  }
  const fn = mod[name];
  if (typeof fn !== 'function') {
    process.stderr.write(`not supported yet: ${command} (${specifier} has no export ${name})\n`);
    return null;
  }
  return fn as F;
}

/** Logs go to stderr; stdout is kept for results and `--json` lines. */
export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function out(line: string): void {
  process.stdout.write(`${line}\n`);
}
