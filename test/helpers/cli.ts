import { execFile } from 'node:child_process';
import { join } from 'node:path';

/** The repository root, for running the CLI and reading its files. */
export const repoRoot = new URL('../../', import.meta.url).pathname;
const glup = join(repoRoot, 'bin', 'glup.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `glup <args>` as a user would (through bin/glup.js), in `cwd` (default: the repo), with `env` added to the environment. */
export function runGlup(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const env = opts.env ? { ...process.env, ...opts.env } : process.env;
    execFile('node', [glup, ...args], { cwd: opts.cwd ?? repoRoot, env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}
