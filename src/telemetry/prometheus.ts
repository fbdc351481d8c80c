/**
 * A pull metric reader rendering the Prometheus text format (0.0.4) for a `/metrics` scrape endpoint.
 *
 * Names: dots become underscores; monotonic sums get `_total`; histograms get `_bucket` (with `le`), `_sum` and
 * `_count`; gauges keep their name. Attribute keys are sanitized the same way. Units are not appended to names.
 * @module
 */
import { DataPointType, type Histogram, type MetricData, MetricReader } from "@opentelemetry/sdk-metrics";
import type { Attributes } from "@opentelemetry/api";
import { temporalityFor } from "./metrics.ts";

/** Collects on demand and renders the Prometheus text exposition format. */
export class PrometheusReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: temporalityFor });
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  /** Collects every instrument now and renders the scrape body. */
  async render(): Promise<string> {
    const { resourceMetrics } = await this.collect();
    const lines: string[] = [];
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) renderMetric(metric, lines);
    }
    return lines.join("\n") + "\n";
  }
}

/** Answers `/metrics` from `reader`; undefined for other paths. */
export async function prometheusResponse(reader: PrometheusReader, path: string): Promise<Response | undefined> {
  if (path !== "/metrics") return undefined;
  try {
    return new Response(await reader.render(), {
      headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
    });
  } catch (error) {
    return new Response(`Cannot collect metrics: ${String(error)}\n`, { status: 500 });
  }
}

function renderMetric(metric: MetricData, lines: string[]): void {
  const base = sanitizeName(metric.descriptor.name) + unitSuffix(metric.descriptor.unit);
  const help = metric.descriptor.description.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
  switch (metric.dataPointType) {
    case DataPointType.SUM: {
      const name = metric.isMonotonic ? `${base}_total` : base;
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${metric.isMonotonic ? "counter" : "gauge"}`);
      for (const point of metric.dataPoints) lines.push(`${name}${labels(point.attributes)} ${num(point.value)}`);
      return;
    }
    case DataPointType.GAUGE: {
      lines.push(`# HELP ${base} ${help}`, `# TYPE ${base} gauge`);
      for (const point of metric.dataPoints) lines.push(`${base}${labels(point.attributes)} ${num(point.value)}`);
      return;
    }
    case DataPointType.HISTOGRAM: {
      lines.push(`# HELP ${base} ${help}`, `# TYPE ${base} histogram`);
      for (const point of metric.dataPoints) renderHistogram(base, point.attributes, point.value, lines);
      return;
    }
    default:
      // Exponential histograms are not created by this program.
      return;
  }
}

function renderHistogram(name: string, attributes: Attributes, value: Histogram, lines: string[]): void {
  let cumulative = 0;
  const { boundaries, counts } = value.buckets;
  for (let i = 0; i < counts.length; i++) {
    cumulative += counts[i] ?? 0;
    const le = i < boundaries.length ? num(boundaries[i] ?? 0) : "+Inf";
    lines.push(`${name}_bucket${labels(attributes, ["le", le])} ${cumulative}`);
  }
  lines.push(`${name}_sum${labels(attributes)} ${num(value.sum ?? 0)}`);
  lines.push(`${name}_count${labels(attributes)} ${value.count}`);
}

function labels(attributes: Attributes, extra?: [string, string]): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined) continue;
    parts.push(`${sanitizeName(key)}="${escapeLabel(Array.isArray(value) ? value.join(",") : String(value))}"`);
  }
  if (extra) parts.push(`${extra[0]}="${extra[1]}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

/** Prometheus metric and label names: `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
export function sanitizeName(name: string): string {
  const replaced = name.replace(/[^a-zA-Z0-9_:]/g, "_");
  return /^[0-9]/.test(replaced) ? `_${replaced}` : replaced;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function num(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** Prometheus names carry their base unit: an OpenTelemetry unit of seconds becomes `_seconds`. */
function unitSuffix(unit: string): string {
  return unit === "s" ? "_seconds" : "";
}
