/**
 * Data paths written and not yet applied (src/db/sequence.ts, src/db/pendingDb.ts). A path
 * overlaps a written one when one of the two is a prefix of the other: reading it would see
 * the write.
 */
export class WrittenPaths {
  /** Every written path and every prefix of one, joined by NUL (segments may hold dots). */
  private readonly prefixes = new Set<string>();
  private readonly exact = new Set<string>();

  add(segs: readonly string[]): void {
    for (let i = 1; i <= segs.length; i++) this.prefixes.add(segs.slice(0, i).join('\u0000'));
    this.exact.add(segs.join('\u0000'));
  }

  overlaps(segs: readonly string[]): boolean {
    // a written path is a prefix of this one (or equal), or this one is a prefix of a written one
    for (let i = 1; i <= segs.length; i++) if (this.exact.has(segs.slice(0, i).join('\u0000'))) return true;
    return this.prefixes.has(segs.join('\u0000'));
  }

  clear(): void {
    this.prefixes.clear();
    this.exact.clear();
  }
}
