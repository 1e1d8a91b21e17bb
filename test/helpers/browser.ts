/**
 * Browser tests: Debian's chromium driven by playwright-core (never a downloaded browser),
 * and where their screenshots go (test-output/, git-ignored).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../scripts/browser.js';
import { repoRoot } from './cli.js';

/** Screenshots of the browser tests. */
export const testOutput = join(repoRoot, 'test-output');

export function launchBrowser(): Promise<Browser> {
  return launchChromium();
}

export function screenshotPath(name: string): string {
  mkdirSync(testOutput, { recursive: true });
  return join(testOutput, name);
}

/** Moves the time scrubber to `ms` after the start, as a user dragging it would. */
export async function scrubTo(page: Page, ms: number): Promise<void> {
  // (these functions run in the page: the DOM types are not in this project's lib)
  await page.getByTestId('scrubber').evaluate((el: any, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, ms);
  await page.waitForFunction((v) => Math.abs(Number((globalThis as any).document.body.dataset.t) - v) < 0.01, ms);
}

/** Each node card's role as the page shows it. */
export async function shownRoles(page: Page): Promise<Record<string, string>> {
  return page.getByTestId('node-card').evaluateAll((cards: any[]) => Object.fromEntries(cards.map((c) => [c.dataset.node as string, c.dataset.role as string])));
}

/** A `glup dashboard …` child process, once it printed the URL it serves. */
export interface DashboardProcess {
  url: string;
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

export function startDashboardProcess(args: string[], timeoutMs = 120_000): Promise<DashboardProcess> {
  const child = spawn('node', [join(repoRoot, 'bin', 'glup.js'), 'dashboard', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`glup dashboard printed no URL within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    const early = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`glup dashboard exited with ${code} before listening; stderr: ${stderr}`));
    };
    child.once('exit', early);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split('\n').find((l) => l.includes('"listening"'));
      if (!line) return;
      clearTimeout(timer);
      child.off('exit', early);
      resolve({
        url: (JSON.parse(line) as { url: string }).url,
        child,
        stderr: () => stderr,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}
