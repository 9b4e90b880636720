/** Ratios, the machine description, and the JSON + Markdown outputs. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { Result } from './harness.js';

export interface Report {
  machine: { cpu: string; cores: number; totalMemGiB: number; node: string; platform: string; loadavg1m?: number };
  date: string;
  mode: 'quick' | 'full';
  /** Scenarios that drop records under the default policy are a bug, not a timing: listed here. */
  problems: string[];
  results: Result[];
}

export function buildReport(results: Result[], quick: boolean, loadavg1m: number): Report {
  const byId = new Map(results.map((r) => [r.id, r]));
  for (const r of results) {
    const ref = r.ratioTo ? byId.get(r.ratioTo) : undefined;
    if (ref && ref.median !== 0) r.ratio = r.median / ref.median;
  }
  const problems = results.filter((r) => Number(r.extra?.dropped ?? 0) > 0).map((r) => `${r.id}: ${r.extra!.dropped} records dropped under the 'wait' policy`);
  const c = cpus();
  return {
    machine: {
      cpu: c[0]?.model ?? 'unknown',
      cores: c.length,
      totalMemGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      loadavg1m,
    },
    date: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    problems,
    results,
  };
}

function fmt(x: number, unit: Result['unit']): string {
  const p = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  switch (unit) {
    case 'ns/call':
    case 'ns/record':
      return x >= 1000 ? `${p(x / 1000)} µs` : `${p(x)} ns`;
    case 'records/s':
      return x >= 1e6 ? `${p(x / 1e6)} M/s` : `${p(x / 1e3)} k/s`;
    case 'steps/s':
      return x >= 1e3 ? `${p(x / 1e3)} k steps/s` : `${p(x)} steps/s`;
    case '%':
      return `${x > 0 ? '+' : ''}${x.toFixed(1)} %`;
    case '% core':
      return `${x.toFixed(2)} % of a core`;
    case 'MiB':
      return `${p(x)} MiB`;
    case 'bytes':
      return x >= 1024 ? `${p(x / 1024)} KiB` : `${p(x)} B`;
    case 'ms':
      return x >= 1000 ? `${p(x / 1000)} s` : `${p(x)} ms`;
  }
}

export function markdown(rep: Report): string {
  const m = rep.machine;
  const lines = [
    `# ranklog benchmarks (${rep.mode})`,
    '',
    `${rep.date} · ${m.cpu} · ${m.cores} cores · ${m.totalMemGiB} GiB · Node ${m.node} · ${m.platform} · load ${m.loadavg1m?.toFixed(2)} at start`,
    '',
    'Medians over batches (per-call rows: batch time / batch size) or runs; the mean includes rare long waits on a full ring.',
    'Ratio = median / the named scenario’s median, measured in the same run.',
    '',
    '| scenario | median | min–max | mean | ratio |',
    '|---|---:|---:|---:|---|',
  ];
  for (const r of rep.results) {
    const ratio = r.ratio === undefined ? '' : `${r.ratio >= 10 ? r.ratio.toFixed(0) : r.ratio.toFixed(2)}× \`${r.ratioTo}\``;
    const range = r.n > 1 ? `${fmt(r.min, r.unit)} – ${fmt(r.max, r.unit)}` : '';
    const mean = r.n > 1 && r.mean !== undefined ? fmt(r.mean, r.unit) : '';
    lines.push(`| \`${r.id}\` ${r.label} | ${fmt(r.median, r.unit)} | ${range} | ${mean} | ${ratio} |`);
  }
  const withSeries = rep.results.filter((r) => r.series);
  if (withSeries.length) lines.push('', ...withSeries.map((r) => `- \`${r.id}\` series (${r.unit}): ${r.series!.join(', ')}`));
  const withExtra = rep.results.filter((r) => r.extra);
  if (withExtra.length)
    lines.push(
      '',
      ...withExtra.map(
        (r) =>
          `- \`${r.id}\`: ${Object.entries(r.extra!)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
      ),
    );
  if (rep.problems.length) lines.push('', '**Problems:**', ...rep.problems.map((p) => `- ${p}`));
  return lines.join('\n') + '\n';
}

/** Writes `<name>.json` and `<name>.md` in dir. */
export function writeReport(rep: Report, dir: URL, name: string): string {
  mkdirSync(dir, { recursive: true });
  const md = markdown(rep);
  writeFileSync(new URL(`${name}.json`, dir), JSON.stringify(rep, null, 2) + '\n');
  writeFileSync(new URL(`${name}.md`, dir), md);
  return md;
}
