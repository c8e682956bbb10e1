// Prometheus text exposition (format 0.0.4): metric families with TYPE and HELP lines, as rabbitmq_prometheus writes them.

export type Labels = Readonly<Record<string, string>>;
export type MetricType = 'gauge' | 'counter' | 'untyped' | 'histogram' | 'summary';

export class Exposition {
  private readonly lines: string[] = [];

  /** One family; `samples` are [labels, value] pairs under the family's own name. */
  family(name: string, type: MetricType, help: string, samples: ReadonlyArray<readonly [Labels, number]>): void {
    this.lines.push(`# TYPE ${name} ${type}`, `# HELP ${name} ${help}`);
    for (const [labels, value] of samples) this.lines.push(`${name}${labelText(labels)} ${formatValue(value)}`);
  }

  /** A histogram: cumulative `_bucket` lines for `bounds` (then +Inf), `_sum` and `_count`. */
  histogram(name: string, help: string, labels: Labels, bounds: readonly number[], counts: readonly number[], sum: number): void {
    this.lines.push(`# TYPE ${name} histogram`, `# HELP ${name} ${help}`);
    let cumulative = 0;
    for (let i = 0; i <= bounds.length; i++) {
      cumulative += counts[i] ?? 0;
      const le = i < bounds.length ? String(bounds[i]) : '+Inf';
      this.lines.push(`${name}_bucket${labelText({ ...labels, le })} ${cumulative}`);
    }
    this.lines.push(`${name}_sum${labelText(labels)} ${formatValue(sum)}`, `${name}_count${labelText(labels)} ${cumulative}`);
  }

  /** A summary without quantiles: `_count` and `_sum` per label set. */
  summary(name: string, help: string, samples: ReadonlyArray<readonly [Labels, number, number]>): void {
    this.lines.push(`# TYPE ${name} summary`, `# HELP ${name} ${help}`);
    for (const [labels, count, sum] of samples) this.lines.push(`${name}_count${labelText(labels)} ${count}`, `${name}_sum${labelText(labels)} ${formatValue(sum)}`);
  }

  toString(): string {
    return this.lines.join('\n') + '\n';
  }
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return String(v);
}
