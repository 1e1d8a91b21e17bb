/** Identity rules of SPEC section 2. */
export const CLUSTER_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function isClusterName(s: unknown): s is string {
  return typeof s === 'string' && CLUSTER_NAME.test(s);
}
/** Node ids, process names and group names share one rule. */
export function isName(s: unknown): s is string {
  return typeof s === 'string' && NAME.test(s);
}

/**
 * Natural order: runs of digits compare as numbers, the rest by code point, so n2 < n10.
 * Every "smallest id" rule of the spec goes through this one function.
 */
export function compareIds(a: string, b: string): number {
  const ra = a.match(/\d+|\D+/g) ?? [];
  const rb = b.match(/\d+|\D+/g) ?? [];
  const n = Math.min(ra.length, rb.length);
  for (let i = 0; i < n; i++) {
    const x = ra[i]!;
    const y = rb[i]!;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      // compare as numbers without precision loss: strip leading zeros, then length, then digits
      const sx = x.replace(/^0+(?=\d)/, '');
      const sy = y.replace(/^0+(?=\d)/, '');
      if (sx.length !== sy.length) return sx.length - sy.length;
      if (sx !== sy) return sx < sy ? -1 : 1;
      if (x.length !== y.length) return x.length - y.length;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  if (ra.length !== rb.length) return ra.length - rb.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortIds(ids: Iterable<string>): string[] {
  return [...ids].sort(compareIds);
}
