/** Counters and gauges exposed at GET /metrics in the Prometheus text format. */
export class Metrics {
  private readonly counters = new Map<string, { help: string; values: Map<string, number> }>();
  private readonly gauges = new Map<string, { help: string; read: () => number; type: 'gauge' | 'counter'; labels: string }>();

  counter(name: string, help: string): void {
    if (!this.counters.has(name)) this.counters.set(name, { help, values: new Map() });
  }

  gauge(name: string, help: string, read: () => number): void {
    this.gauges.set(name, { help, read, type: 'gauge', labels: '' });
  }

  /** A counter kept elsewhere (the kernel's CPU time), read when scraped. */
  sampledCounter(name: string, help: string, read: () => number): void {
    this.gauges.set(name, { help, read, type: 'counter', labels: '' });
  }

  /** An info metric, value 1, its facts as labels (Prometheus' `*_build_info` convention). */
  info(name: string, help: string, labels: Record<string, string>): void {
    this.gauges.set(name, { help, read: () => 1, type: 'gauge', labels: renderLabels(labels) });
  }

  inc(name: string, labels: Record<string, string> = {}, by = 1): void {
    const counter = this.counters.get(name);
    if (counter === undefined) return;
    const key = renderLabels(labels);
    counter.values.set(key, (counter.values.get(key) ?? 0) + by);
  }

  get(name: string, labels: Record<string, string> = {}): number {
    return this.counters.get(name)?.values.get(renderLabels(labels)) ?? 0;
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, counter] of this.counters) {
      lines.push(`# HELP ${name} ${counter.help}`, `# TYPE ${name} counter`);
      if (counter.values.size === 0) lines.push(`${name} 0`);
      for (const [labels, value] of counter.values) lines.push(`${name}${labels} ${value}`);
    }
    for (const [name, gauge] of this.gauges) {
      lines.push(`# HELP ${name} ${gauge.help}`, `# TYPE ${name} ${gauge.type}`, `${name}${gauge.labels} ${gauge.read()}`);
    }
    return `${lines.join('\n')}\n`;
  }
}

function renderLabels(labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  return `{${keys.map((key) => `${key}="${labels[key]!.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}
