import { AsyncLocalStorage } from "node:async_hooks";
import { format } from "node:util";

/** Receives text a predictor printed, one `console` call at a time (newline included). */
export type LogSink = (text: string) => void;

const current = new AsyncLocalStorage<LogSink>();
const METHODS = ["log", "info", "warn", "error", "debug", "trace"] as const;
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  for (const method of METHODS) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      const sink = current.getStore();
      if (sink) sink(format(...args) + "\n");
      else original(...args);
    };
  }
}

/**
 * Runs `fn` with `console` output routed to `sink` for everything `fn` does,
 * including async continuations; other code keeps the real console.
 */
export function withLogCapture<T>(sink: LogSink, fn: () => T): T {
  install();
  return current.run(sink, fn);
}
