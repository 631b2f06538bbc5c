import { AsyncLocalStorage } from "node:async_hooks";
import { format } from "node:util";

/** Receives text a predictor printed, one `console` call at a time (newline included). */
export type LogSink = (text: string) => void;

/** Routes `console` output to a sink while open. */
export interface LogCapture {
  /** Runs `fn`; what it prints, now or in its async continuations, goes to the sink. */
  run<T>(fn: () => T): T;
  /** Stops routing to the sink. */
  close(): void;
}

const METHODS = ["log", "info", "warn", "error", "debug", "trace"] as const;
let installed = false;
// A capture opened while no other was open is "solo": console output with no
// async context goes to it. Captures that overlap it use AsyncLocalStorage.
// Node 20's AsyncLocalStorage turns on promise hooks that make every await in
// the thread several times slower (5x on a tight async generator loop), so it
// is enabled only while captures overlap, and disabled when none is open.
const context = new AsyncLocalStorage<LogSink>();
let solo: LogSink | undefined;
let openCount = 0;

function install(): void {
  if (installed) return;
  installed = true;
  for (const method of METHODS) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      const sink = context.getStore() ?? solo;
      if (sink) sink(format(...args) + "\n");
      else original(...args);
    };
  }
}

/** Starts routing `console` output (from the code `run` calls) to `sink`. */
export function openLogCapture(sink: LogSink): LogCapture {
  install();
  const isSolo = openCount === 0;
  openCount++;
  if (isSolo) solo = sink;
  let open = true;
  return {
    run: isSolo ? (fn) => fn() : (fn) => context.run(sink, fn),
    close() {
      if (!open) return;
      open = false;
      openCount--;
      if (isSolo) solo = undefined;
      if (openCount === 0) context.disable();
    },
  };
}

/**
 * Runs `fn` with `console` output routed to `sink` for everything `fn` does,
 * including async continuations; other code keeps the real console.
 */
export async function withLogCapture<T>(sink: LogSink, fn: () => T | Promise<T>): Promise<T> {
  const capture = openLogCapture(sink);
  try {
    return await capture.run(fn);
  } finally {
    capture.close();
  }
}
