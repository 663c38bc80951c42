import { Injectable, Logger } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AppConfig } from '../config/app-config';
import { Clock } from '../time/clock';
import { metricsEnabled } from './observability-config';

/** Label values of one series; every value must come from a small, fixed set (never an id). */
export type MetricLabels<L extends string> = Partial<Record<L, string | number>>;

export interface CounterMetric<L extends string = string> {
  /** Adds `value` (1 by default); a counter without labels takes `{}` when a value is given. */
  inc(labels?: MetricLabels<L>, value?: number): void;
}

export interface HistogramMetric<L extends string = string> {
  observe(labels: MetricLabels<L>, value: number): void;
}

export interface GaugeMetric<L extends string = string> {
  set(labels: MetricLabels<L>, value: number): void;
}

/** One series of a gauge read at scrape time. */
export interface GaugeSample<L extends string = string> {
  labels?: MetricLabels<L>;
  value: number;
}

export interface MetricDefinition<L extends string> {
  /** Prometheus name, `portico_…`, with the unit as suffix (`_seconds`, `_total`). */
  name: string;
  help: string;
  labelNames?: readonly L[];
}

export interface ScrapedGaugeDefinition<L extends string> extends MetricDefinition<L> {
  /**
   * Reads the current values (typically one indexed query). Called at scrape time, at most once
   * per SCRAPE_CACHE_MS: concurrent and back-to-back scrapes share one read.
   */
  read(): Promise<GaugeSample<L>[]>;
}

/** How long a scrape-time read is reused: a scrape storm costs the database one query per gauge. */
export const SCRAPE_CACHE_MS = 5_000;

const NOOP = { inc: () => undefined, observe: () => undefined, set: () => undefined };

/**
 * The process's metrics, on one prom-client registry. Any module records its own families here
 * (core imports no domain): `metrics.counter({ name, help, labelNames })` returns the family,
 * registered once — asking again by the same name returns the same one.
 *
 * Without METRICS_TOKEN and METRICS_PORT nothing is exposed, so nothing is recorded either: the
 * families are no-ops and scrape-time reads never run.
 */
@Injectable()
export class Metrics {
  readonly enabled: boolean;
  readonly registry = new Registry();
  private readonly logger = new Logger('Metrics');

  constructor(
    config: AppConfig,
    private readonly clock: Clock,
  ) {
    this.enabled = metricsEnabled(config.observability);
    if (this.enabled) collectDefaultMetrics({ register: this.registry });
  }

  /** Records nothing: for code built by hand (unit specs, command-line tools). */
  static disabled(): Metrics {
    const off: Pick<AppConfig, 'observability'> = { observability: { metricsToken: null, metricsPort: null, otlpEndpoint: null } };
    return new Metrics(off as AppConfig, new Clock());
  }

  counter<L extends string = never>(definition: MetricDefinition<L>): CounterMetric<L> {
    if (!this.enabled) return NOOP;
    return this.existing<Counter<L>>(definition.name) ?? new Counter({ ...this.common(definition) });
  }

  histogram<L extends string = never>(definition: MetricDefinition<L> & { buckets?: number[] }): HistogramMetric<L> {
    if (!this.enabled) return NOOP;
    return this.existing<Histogram<L>>(definition.name) ?? new Histogram({ ...this.common(definition), buckets: definition.buckets });
  }

  /** A gauge the code sets as things happen. */
  gauge<L extends string = never>(definition: MetricDefinition<L>): GaugeMetric<L> {
    if (!this.enabled) return NOOP;
    return this.existing<Gauge<L>>(definition.name) ?? new Gauge({ ...this.common(definition) });
  }

  /**
   * A gauge read when Prometheus scrapes (queue depths, the age of the oldest waiting message). A
   * failed read logs a warning and the family shows NaN (or no series, when it has labels); the
   * rest of the scrape is served.
   */
  scrapedGauge<L extends string = never>(definition: ScrapedGaugeDefinition<L>): void {
    if (!this.enabled || this.existing(definition.name)) return;
    const read = this.sharedRead(definition.read);
    const logger = this.logger;
    new Gauge<L>({
      ...this.common(definition),
      async collect() {
        this.reset();
        try {
          for (const sample of await read()) this.set((sample.labels ?? {}) as Partial<Record<L, string | number>>, sample.value);
        } catch (err) {
          // NaN, not the 0 an unlabelled gauge would show: "unknown", never "nothing waits".
          if (!definition.labelNames?.length) this.set(NaN);
          logger.warn(`Could not read ${definition.name}: ${err instanceof Error ? err.message : String(err)}`);
        }
      },
    });
  }

  /** The exposition in Prometheus text format. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private common<L extends string>(definition: MetricDefinition<L>) {
    return { name: definition.name, help: definition.help, labelNames: [...(definition.labelNames ?? [])], registers: [this.registry] };
  }

  private existing<M>(name: string): M | undefined {
    return this.registry.getSingleMetric(name) as M | undefined;
  }

  /**
   * `read`, reused for SCRAPE_CACHE_MS: for a query several scraped gauges take their values from
   * (a count and the oldest row's age), so a scrape runs it once.
   */
  sharedRead<T>(read: () => Promise<T>): () => Promise<T> {
    let last: { at: number; value: Promise<T> } | null = null;
    return () => {
      const now = this.clock.nowMs();
      if (last && now - last.at < SCRAPE_CACHE_MS && now >= last.at) return last.value;
      const value = read();
      last = { at: now, value };
      // A failed read is not kept: the next scrape tries again.
      value.catch(() => {
        if (last?.value === value) last = null;
      });
      return value;
    };
  }
}
