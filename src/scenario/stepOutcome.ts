/** How a scenario step's outcome is judged against the error it expects (SPEC section 10, `expectError`). */
import { GlupError } from '../errors.js';

/** A step that did not go as the scenario says: the run stops there and reports it. */
export class StepFailure extends Error {
  constructor(
    message: string,
    /** The GlupError code behind the failure, when there is one. */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Runs `work`; fails the step unless it succeeds (no `expectError`) or fails with exactly `expectError`. */
export async function expectOutcome<T>(work: Promise<T>, expectError: string | undefined, onOk: (v: T) => void): Promise<void> {
  try {
    const v = await work;
    if (expectError) throw new StepFailure(`expected error ${expectError}, but it succeeded`);
    onOk(v);
  } catch (e) {
    if (e instanceof StepFailure) throw e;
    const code = e instanceof GlupError ? e.code : undefined;
    if (expectError && code === expectError) return;
    throw new StepFailure(expectError ? `expected error ${expectError}, got ${code ?? String(e)}` : (e as Error).message, code);
  }
}
