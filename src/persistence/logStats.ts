/** Counters of a file store's log (kept apart so the public types need no Node typings). */
export interface LogStats {
  /** write() calls on the log (one per group of appends). */
  writes: number;
  /** fdatasync calls on the log. */
  fsyncs: number;
  /** Highest seq written to the OS. */
  writtenSeq: number;
  /** Highest seq covered by a completed fsync. */
  syncedSeq: number;
}
