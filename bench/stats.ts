/** Figures every benchmark reports the same way. */

export const round = (x: number, digits = 3) => Number(x.toFixed(digits));

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** p50/p99/max (and count) of a set of durations in ms. */
export function latencySummary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  if (!sorted.length) return { samples: 0 };
  return {
    samples: sorted.length,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted[sorted.length - 1]!),
    minMs: round(sorted[0]!),
  };
}

export interface ClosedLoopResult {
  seconds: number;
  /** Latency in ms of every operation that completed while measuring. */
  latencies: number[];
  /** Failed operations by error code (or the start of the message). */
  errors: Record<string, number>;
}

/**
 * `inFlight` closed loops: each runs `op(lane, i)` and awaits it before the next. The first
 * `warmupMs` are not measured; then every completed operation for `durationMs` counts.
 * Errors are counted, not thrown, so a stalled cell shows as errors. `onMeasure` runs when
 * measuring starts (a counter's starting value).
 */
export async function closedLoop(
  op: (lane: number, i: number) => Promise<unknown>,
  opts: { inFlight: number; warmupMs: number; durationMs: number; onMeasure?: () => void },
): Promise<ClosedLoopResult> {
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let measuring = false;
  let stop = false;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const loop = async (lane: number) => {
    for (let i = 0; !stop; i++) {
      const t0 = performance.now();
      try {
        await op(lane, i);
        if (measuring) latencies.push(performance.now() - t0);
      } catch (e) {
        const code = (e as { code?: string }).code ?? (e as Error).message?.slice(0, 60) ?? String(e);
        errors[code] = (errors[code] ?? 0) + 1;
        // an operation that fails at once must not starve the timer that ends the cell
        await sleep(1);
      }
    }
  };
  const loops = Array.from({ length: opts.inFlight }, (_, lane) => loop(lane));
  await sleep(opts.warmupMs);
  opts.onMeasure?.();
  measuring = true;
  const t0 = performance.now();
  await sleep(opts.durationMs);
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  stop = true;
  await Promise.all(loops);
  return { seconds, latencies, errors };
}
