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
