/** What an `ask` step checks of the answer (docs/scenarios.md): the state value, and each context field given. */
import { isDeepStrictEqual } from 'node:util';
import type { AskStep } from './types.js';

/** Why the answer does not match the step's `expect`, or null when it does (or there is none). */
export function answerMismatch(step: AskStep, answer: unknown): string | null {
  if (!step.expect) return null;
  const a = answer as { value?: unknown; context?: Record<string, unknown> };
  if ('value' in step.expect && !isDeepStrictEqual(a.value, step.expect.value)) {
    return `expected state ${JSON.stringify(step.expect.value)}, got ${JSON.stringify(a.value)}`;
  }
  for (const [k, want] of Object.entries(step.expect.context ?? {})) {
    const got = a.context?.[k];
    if (!isDeepStrictEqual(got, want)) return `expected context.${k} ${JSON.stringify(want)}, got ${JSON.stringify(got) ?? 'nothing'}`;
  }
  return null;
}
