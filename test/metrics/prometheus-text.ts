/**
 * Just enough of the Prometheus text exposition format (version 0.0.4) to read a scrape in tests: samples with their
 * labels and values; comments (`# HELP`, `# TYPE`) are kept by metric name.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  text: string;
  samples: Sample[];
  /** `# TYPE` of each metric family. */
  types: Map<string, string>;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

export function parsePrometheusText(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice('# TYPE '.length).split(' ');
      if (name && type) types.set(name, type);
      continue;
    }
    if (line.trim() === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    samples.push({ name: match[1] ?? '', labels: parseLabels(match[2] ?? ''), value: Number(match[3]) });
  }
  return { text, samples, types };
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  let consumed = 0;
  for (let match = LABEL.exec(text); match; match = LABEL.exec(text)) {
    labels[match[1] ?? ''] = (match[2] ?? '').replace(/\\(.)/g, (_escape, character: string) => (character === 'n' ? '\n' : character));
    consumed = LABEL.lastIndex;
  }
  if (consumed !== text.length) throw new Error(`unparsable labels: {${text}}`);
  return labels;
}

/** Samples of `name` whose labels include every one of `labels`. */
export function select(scrape: Scrape, name: string, labels: Record<string, string> = {}): Sample[] {
  return scrape.samples.filter((sample) => sample.name === name && Object.entries(labels).every(([label, value]) => sample.labels[label] === value));
}

/** The sum over every series of `name` matching `labels` (0 when there is none): what `sum(...)` gives in PromQL. */
export function total(scrape: Scrape, name: string, labels: Record<string, string> = {}): number {
  return select(scrape, name, labels).reduce((sum, sample) => sum + sample.value, 0);
}

/** Sums of `name` per value of `label` (series matching `labels`). */
export function totalsBy(scrape: Scrape, name: string, label: string, labels: Record<string, string> = {}): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const sample of select(scrape, name, labels)) {
    const key = sample.labels[label] ?? '';
    totals[key] = (totals[key] ?? 0) + sample.value;
  }
  return totals;
}

export async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}`);
  return parsePrometheusText(await response.text());
}
