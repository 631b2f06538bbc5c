/**
 * The server's log lines on stdout: one per request, one per finished
 * prediction, the predictor's own output and crash reports, as text for a
 * terminal or JSON (one object per line) for log collectors.
 */

export type LogFormat = "text" | "json";
export type LogLevel = "debug" | "info" | "warn" | "error";

export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface LoggerOptions {
  /** Default `text` when `isTerminal`, else `json`. */
  format?: LogFormat;
  /** Lines below this level are dropped. Default `info`. */
  level?: LogLevel;
  /** Where a finished line (with its newline) goes. Default stdout. */
  write?: (line: string) => void;
  /** Whether the output is a terminal (picks the default format). Default `process.stdout.isTTY`. */
  isTerminal?: boolean;
}

/** Field values a line carries; undefined fields are left out. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

/**
 * Writes leveled lines with fields.
 *
 * @example
 * const logger = new Logger({ format: "json", level: "info" });
 * logger.info("request", { method: "GET", route: "/health-check", status: 200, duration_ms: 0.4 });
 */
export class Logger {
  readonly format: LogFormat;
  readonly level: LogLevel;
  readonly #min: number;
  readonly #write: (line: string) => void;

  constructor(options: LoggerOptions = {}) {
    this.format = options.format ?? ((options.isTerminal ?? process.stdout.isTTY) ? "text" : "json");
    this.level = options.level ?? "info";
    this.#min = RANK[this.level];
    this.#write = options.write ?? ((line) => void process.stdout.write(line));
  }

  /** True when lines at `level` are written. */
  enabled(level: LogLevel): boolean {
    return RANK[level] >= this.#min;
  }

  log(level: LogLevel, message: string, fields: LogFields = {}): void {
    if (RANK[level] < this.#min) return;
    const time = new Date().toISOString();
    if (this.format === "json") {
      const entry: Record<string, unknown> = { time, level, msg: message };
      for (const key in fields) if (fields[key] !== undefined) entry[key] = fields[key];
      this.#write(`${JSON.stringify(entry)}\n`);
      return;
    }
    let line = `${time} ${level.toUpperCase().padEnd(5)} ${message.replace(/\r?\n/g, "\\n")}`;
    for (const key in fields) {
      const value = fields[key];
      if (value === undefined) continue;
      const text = String(value);
      line += ` ${key}=${/^[^\s"=]*$/.test(text) && text !== "" ? text : JSON.stringify(text)}`;
    }
    this.#write(`${line}\n`);
  }

  debug(message: string, fields?: LogFields): void {
    this.log("debug", message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.log("info", message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.log("warn", message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.log("error", message, fields);
  }
}
