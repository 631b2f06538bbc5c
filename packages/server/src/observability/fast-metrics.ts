/**
 * prom-client metrics with a fast path for the server's hot paths. prom-client
 * declares, registers and renders them (the exposition is prom-client's), but
 * observations go into plain numbers per series, kept by the caller:
 * prom-client's own `observe` hashes the labels and turns the bucket bound
 * into a string key on every call (~0.4 µs, most of what metrics cost a
 * trivial prediction), and a labelled `inc` hashes its labels (~0.3 µs).
 */
import { Counter, Histogram, type CounterConfiguration, type HistogramConfiguration } from "prom-client";

type Labels = Record<string, string>;

/** One labelled series of a `FastHistogram`: counts per bucket, sum and count. */
export class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly bounds: readonly number[],
    readonly labels: Labels,
  ) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    if (i < bounds.length) this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

/** A histogram whose series are objects to observe on directly. */
export class FastHistogram<T extends string = string> extends Histogram<T> {
  readonly #name: string;
  readonly #help: string;
  readonly #bounds: number[];
  readonly #series = new Map<string, HistogramSeries>();

  constructor(config: HistogramConfiguration<T> & { buckets: number[] }) {
    super(config);
    this.#name = config.name;
    this.#help = config.help;
    this.#bounds = [...config.buckets].sort((a, b) => a - b);
    if (!config.labelNames?.length) this.series({});
  }

  /** The series for these label values (made on first use); keep it and call its `observe`. */
  series(labels: Partial<Record<T, string>>): HistogramSeries {
    const key = JSON.stringify(labels);
    let series = this.#series.get(key);
    if (!series) this.#series.set(key, (series = new HistogramSeries(this.#bounds, labels as Labels)));
    return series;
  }

  override async get() {
    const name = this.#name;
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const s of this.#series.values()) {
      let cumulative = 0;
      for (let i = 0; i < s.bounds.length; i++) {
        cumulative += s.counts[i]!;
        values.push({ labels: { ...s.labels, le: s.bounds[i]! }, value: cumulative, metricName: `${name}_bucket` });
      }
      values.push({ labels: { ...s.labels, le: "+Inf" }, value: s.count, metricName: `${name}_bucket` });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${name}_count` });
    }
    return { name, help: this.#help, type: "histogram", values, aggregator: "sum" } as unknown as Awaited<ReturnType<Histogram<T>["get"]>>;
  }

  /** What the registry renders (prom-client's histograms provide this; ours is `get()`). */
  getForPromString() {
    return this.get();
  }

  override reset(): void {
    if (!(#series in this)) return; // prom-client's constructor calls reset() before our fields exist
    for (const s of this.#series.values()) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }
}

/** One labelled series of a `FastCounter`. */
export class CounterSeries {
  value = 0;
  constructor(readonly labels: Labels) {}
  inc(by = 1): void {
    this.value += by;
  }
}

/** A counter whose series are objects to increment directly. */
export class FastCounter<T extends string = string> extends Counter<T> {
  readonly #name: string;
  readonly #help: string;
  readonly #series = new Map<string, CounterSeries>();

  constructor(config: CounterConfiguration<T>) {
    super(config);
    this.#name = config.name;
    this.#help = config.help;
    if (!config.labelNames?.length) this.series({});
  }

  /** The series for these label values (made on first use); keep it and call its `inc`. */
  series(labels: Partial<Record<T, string>>): CounterSeries {
    const key = JSON.stringify(labels);
    let series = this.#series.get(key);
    if (!series) this.#series.set(key, (series = new CounterSeries(labels as Labels)));
    return series;
  }

  override async get() {
    const values = [...this.#series.values()].map((s) => ({ labels: { ...s.labels }, value: s.value }));
    return { name: this.#name, help: this.#help, type: "counter", values, aggregator: "sum" } as unknown as Awaited<ReturnType<Counter<T>["get"]>>;
  }

  override reset(): void {
    if (!(#series in this)) return; // prom-client's constructor calls reset() before our fields exist
    for (const s of this.#series.values()) s.value = 0;
  }
}
