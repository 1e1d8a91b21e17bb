import { pino } from 'pino';

/**
 * The logging interface every component takes: message first, then structured fields.
 * `createNode({ logger })` also takes a pino logger as it is (pino wants `(fields, msg)`,
 * so it is adapted by `toLogger`, and its fields arrive as fields).
 */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** What glup needs of a pino logger (any pino version with `bindings()`; `(fields, msg)` order). */
export interface PinoLike {
  debug(fields: object, msg?: string): void;
  info(fields: object, msg?: string): void;
  warn(fields: object, msg?: string): void;
  error(fields: object, msg?: string): void;
  child(bindings: Record<string, unknown>): PinoLike;
  levels: { values: Record<string, number> };
  bindings(): Record<string, unknown>;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Set from `--log-level` (or GLUP_LOG_LEVEL) by the CLI before a command runs. */
let chosenLevel: LogLevel | undefined;

export function setLogLevel(level: LogLevel | undefined): void {
  chosenLevel = level;
}

/** The level the user asked for on the command line, if any (commands that are silent by default check it). */
export function chosenLogLevel(): LogLevel | undefined {
  return chosenLevel;
}

/** Structured JSON logs on stderr (pino), so stdout stays free for `--json` output. Default level: `--log-level`, else warn. */
export function createLogger(opts: { level?: string; bindings?: Record<string, unknown> } = {}): Logger {
  const base = pino({ level: opts.level ?? chosenLevel ?? 'warn', base: undefined }, pino.destination(2));
  return fromPino(opts.bindings ? base.child(opts.bindings) : base);
}

/** A pino logger (or one with pino's `(fields, msg)` calling convention) as a glup Logger. */
export function fromPino(p: PinoLike): Logger {
  return {
    debug: (msg, f) => p.debug(f ?? {}, msg),
    info: (msg, f) => p.info(f ?? {}, msg),
    warn: (msg, f) => p.warn(f ?? {}, msg),
    error: (msg, f) => p.error(f ?? {}, msg),
    child: (b) => fromPino(p.child(b)),
  };
}

/** True for a pino instance: it has pino's level table and `bindings()`, which glup's Logger lacks. */
export function isPinoLogger(l: unknown): l is PinoLike {
  const c = l as Partial<PinoLike> | null;
  return typeof c === 'object' && c !== null && typeof c.bindings === 'function' && typeof c.levels === 'object' && typeof c.child === 'function';
}

/** Whatever a caller passed as `logger`: glup's interface as is, a pino logger adapted, nothing as silence. */
export function toLogger(l: Logger | PinoLike | undefined): Logger {
  if (l === undefined) return silentLogger();
  return isPinoLogger(l) ? fromPino(l) : l;
}

/** A logger that drops everything except what a test chooses to collect. */
export function silentLogger(sink?: (level: string, msg: string, fields?: Record<string, unknown>) => void): Logger {
  const l: Logger = {
    debug: (m, f) => sink?.('debug', m, f),
    info: (m, f) => sink?.('info', m, f),
    warn: (m, f) => sink?.('warn', m, f),
    error: (m, f) => sink?.('error', m, f),
    child: () => l,
  };
  return l;
}
