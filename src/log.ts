import { pino } from 'pino';

/** The logging interface every component takes; the runtime injects one (silent in tests). */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(bindings: Record<string, unknown>): Logger;
}

/** Structured JSON logs on stderr (pino), so stdout stays free for `--json` output. */
export function createLogger(opts: { level?: string; bindings?: Record<string, unknown> } = {}): Logger {
  const base = pino({ level: opts.level ?? process.env.GLUP_LOG ?? 'warn', base: undefined }, pino.destination(2));
  return wrap(opts.bindings ? base.child(opts.bindings) : base);
}

function wrap(p: pino.Logger): Logger {
  return {
    debug: (msg, f) => p.debug(f ?? {}, msg),
    info: (msg, f) => p.info(f ?? {}, msg),
    warn: (msg, f) => p.warn(f ?? {}, msg),
    error: (msg, f) => p.error(f ?? {}, msg),
    child: (b) => wrap(p.child(b)),
  };
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
