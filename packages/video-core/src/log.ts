/**
 * Structured logging with levels, quiet by default, with per-key rate limiting for anything a
 * remote client can trigger.
 *
 * A record is a level, a component name, a message and flat key/value fields. The default sink
 * writes one line to stderr, `LEVEL component: message key=value ...`; tests pass their own sink
 * to assert on records. Disabled levels cost one comparison.
 */

/** Severity, most severe first. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';

const LEVELS: readonly LogLevel[] = ['error', 'warn', 'info', 'debug', 'trace'];

/** Flat structured fields of a record. */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined | null>>;

/** One log record. */
export interface LogRecord {
  readonly level: LogLevel;
  readonly component: string;
  readonly message: string;
  readonly fields: LogFields;
  readonly time: number;
}

/** Receives records that passed the level filter. */
export type LogSink = (record: LogRecord) => void;

/** True when `s` names a level. */
export function isLogLevel(s: string): s is LogLevel {
  return (LEVELS as readonly string[]).includes(s);
}

function formatValue(v: LogFields[string]): string {
  const s = String(v);
  return /[\s"=]/.test(s) || s === '' ? JSON.stringify(s) : s;
}

/** Renders a record as one line (no trailing newline). */
export function formatRecord(r: LogRecord): string {
  let line = `${new Date(r.time).toISOString()} ${r.level.toUpperCase().padEnd(5)} ${r.component}: ${r.message}`;
  for (const [k, v] of Object.entries(r.fields)) if (v !== undefined) line += ` ${k}=${formatValue(v)}`;
  return line;
}

/** The default sink: one line per record on stderr. */
export const stderrSink: LogSink = (r) => {
  process.stderr.write(`${formatRecord(r)}\n`);
};

/** State shared by a root logger and its children (level, sink, rate-limit windows). */
export interface LoggerShared {
  /** Index of the least severe level emitted. */
  level: number;
  /** Where records go. */
  sink: LogSink;
  /** Per-key rate-limit windows. */
  limits: Map<string, { windowStart: number; count: number; suppressed: number }>;
}

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** Least severe level that is emitted; default `warn` (quiet). */
  level?: LogLevel;
  /** Where records go; default {@link stderrSink}. */
  sink?: LogSink;
}

/** A component's logger. */
export class Logger {
  /** @internal */
  constructor(
    private readonly shared: LoggerShared,
    /** Component name printed on every record. */
    readonly component: string,
    private readonly base: LogFields,
  ) {}

  /** A logger for a sub-component, or with extra fields on every record. */
  child(component: string | undefined, fields: LogFields = {}): Logger {
    return new Logger(this.shared, component ?? this.component, { ...this.base, ...fields });
  }

  /** Changes the level of this logger and all loggers sharing its root. */
  setLevel(level: LogLevel): void {
    this.shared.level = LEVELS.indexOf(level);
  }

  /** True when records at `level` are emitted. */
  enabled(level: LogLevel): boolean {
    return LEVELS.indexOf(level) <= this.shared.level;
  }

  /** Emits a record at `level`. */
  log(level: LogLevel, message: string, fields?: LogFields): void {
    if (LEVELS.indexOf(level) > this.shared.level) return;
    this.shared.sink({ level, component: this.component, message, fields: { ...this.base, ...fields }, time: Date.now() });
  }

  /** Emits an `error` record. */
  error(message: string, fields?: LogFields): void {
    this.log('error', message, fields);
  }
  /** Emits a `warn` record. */
  warn(message: string, fields?: LogFields): void {
    this.log('warn', message, fields);
  }
  /** Emits an `info` record. */
  info(message: string, fields?: LogFields): void {
    this.log('info', message, fields);
  }
  /** Emits a `debug` record. */
  debug(message: string, fields?: LogFields): void {
    this.log('debug', message, fields);
  }
  /** Emits a `trace` record. */
  trace(message: string, fields?: LogFields): void {
    this.log('trace', message, fields);
  }

  /**
   * Like {@link Logger.log}, but at most `burst` records per `key` every `intervalMs`; the first
   * record after a window in which some were dropped carries `suppressed=N`. Use it for anything a
   * remote peer can cause at will.
   */
  limited(level: LogLevel, key: string, message: string, fields?: LogFields, burst = 5, intervalMs = 10_000): void {
    if (LEVELS.indexOf(level) > this.shared.level) return;
    const now = Date.now();
    const limits = this.shared.limits;
    let st = limits.get(key);
    if (!st || now - st.windowStart >= intervalMs) {
      const suppressed = st?.suppressed ?? 0;
      st = { windowStart: now, count: 0, suppressed: 0 };
      limits.set(key, st);
      if (limits.size > 1024) limits.delete(limits.keys().next().value as string);
      if (suppressed > 0) fields = { ...fields, suppressed };
    }
    if (st.count >= burst) {
      st.suppressed++;
      return;
    }
    st.count++;
    this.log(level, message, fields);
  }
}

/** Creates a root logger. */
export function createLogger(component: string, options: LoggerOptions = {}): Logger {
  const shared: LoggerShared = {
    level: LEVELS.indexOf(options.level ?? 'warn'),
    sink: options.sink ?? stderrSink,
    limits: new Map(),
  };
  return new Logger(shared, component, {});
}

/** A logger that drops everything (the default for library objects given none). */
export const silentLogger: Logger = createLogger('silent', { level: 'error', sink: () => {} });
