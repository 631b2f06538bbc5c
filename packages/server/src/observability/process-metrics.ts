/**
 * The process metrics operators expect (CPU, memory, heap, handles, start
 * time, event-loop delay), read only when Prometheus scrapes. prom-client's
 * `collectDefaultMetrics` also observes every garbage collection through a
 * PerformanceObserver; on a 100,000-chunk SSE stream that made the server's
 * stream 0.83-0.89x as fast with metrics on, against 0.998x without its
 * collectors (`node scripts/bench-server.mjs metrics`), so it is not used.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Counter, Gauge, type Registry } from "prom-client";

/** Registers the process metrics on `registry`. */
export function registerProcessMetrics(registry: Registry): void {
  const registers = [registry];
  const startSeconds = Math.round(Date.now() / 1000 - process.uptime());
  // A counter whose value is read from the process at scrape time.
  const readCounter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  const readGauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  readCounter("process_cpu_user_seconds_total", "User CPU time spent in seconds.", () => process.cpuUsage().user / 1e6);
  readCounter("process_cpu_system_seconds_total", "System CPU time spent in seconds.", () => process.cpuUsage().system / 1e6);
  readGauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", () => startSeconds);
  readGauge("process_resident_memory_bytes", "Resident memory size in bytes.", () => process.memoryUsage.rss());
  readGauge("nodejs_heap_size_total_bytes", "Process heap size from Node.js in bytes.", () => process.memoryUsage().heapTotal);
  readGauge("nodejs_heap_size_used_bytes", "Process heap size used from Node.js in bytes.", () => process.memoryUsage().heapUsed);
  readGauge("nodejs_external_memory_bytes", "Node.js external memory size in bytes.", () => process.memoryUsage().external);
  // Sampled by libuv itself (no JavaScript per sample); reset at each scrape.
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  readGauge("nodejs_eventloop_delay_p99_seconds", "99th percentile of the event loop's delay since the last scrape, seconds.", () => {
    const p99 = delay.percentile(99) / 1e9;
    delay.reset();
    return Number.isFinite(p99) ? p99 : 0;
  });
}
