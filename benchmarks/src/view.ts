/**
 * `ranklog view` at scale: a metrics.csv of N rows (8 identifiers × 4 ranks, every batch), served
 * by the real CLI in a process of its own, asked what the page asks (the runs, the run, one
 * chart of 1000 px). Figures:
 *   - first chart: ms from the first request until the first chart's points are served;
 *   - whole file: ms until every row has been read (the server reads a large file in steps and
 *     the page redraws as each lands), against reading the same bytes with nothing parsed (the
 *     baseline: the disk and the page cache, in the same run);
 *   - the server's RSS once the whole file is read, and the bytes of one chart's response;
 *   - live: ms from appending a row until the Server-Sent Event that announces it;
 *   - in headless chromium (when /usr/bin/chromium or RANKLOG_CHROMIUM is there): ms from opening
 *     the run's page until its first chart is drawn (uPlot, data-state "ready").
 */
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, createWriteStream, mkdirSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { type Browser, chromium } from 'playwright-core';
import { summarize, type Config, type Result } from './harness.js';

/** The installed `ranklog` command of @ranklog/view. */
const CLI = join(dirname(createRequire(import.meta.url).resolve('@ranklog/view/package.json')), 'dist/cli.js');
const IDS = 8;
const RANKS = 4;

async function writeRun(dir: string, rows: number): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'metrics.csv');
  const out = createWriteStream(file);
  out.write('timestamp,rank,identifier,step,batch_idx,value\n');
  const t0 = Date.parse('2026-01-01T00:00:00.000Z');
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const rank = i % RANKS;
    const id = Math.floor(i / RANKS) % IDS;
    const step = Math.floor(i / (RANKS * IDS));
    chunk += `${new Date(t0 + step * 50).toISOString()},${rank},train/metric_${id},${step},${step % 500},${Math.exp(-step / 1e5) + rank * 0.01 + Math.sin(step) * 1e-3}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      chunk = '';
    }
  }
  out.write(chunk);
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  return file;
}

interface Served {
  url: string;
  pid: number;
  stop(): void;
}

async function startCli(savedir: string): Promise<Served> {
  const child = spawn(process.execPath, [CLI, 'view', savedir, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`ranklog view exited (${code})`)));
  });
  const url = /http:\/\/\S+\//.exec(line)?.[0];
  if (!url) throw new Error(`ranklog view printed no URL: ${line}`);
  return { url, pid: child.pid!, stop: () => child.kill('SIGTERM') };
}

function rssMiB(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

/** Events of /api/events as parsed JSON, one by one. */
async function* events(url: string, signal: AbortSignal): AsyncGenerator<{ version: number; rows: number; offset: number; size: number }> {
  const res = await fetch(url, { signal });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const end = buf.indexOf('\n\n');
    if (end >= 0) {
      const data = /^data: (.*)$/m.exec(buf.slice(0, end))?.[1];
      buf = buf.slice(end + 2);
      if (data) yield JSON.parse(data);
      continue;
    }
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
  }
}

/** Reads the file's bytes in 4 MiB chunks, parsing nothing: the floor under any reader. */
function rawReadMs(file: string): number {
  const t0 = performance.now();
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(4 << 20);
  let lines = 0;
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, null);
    if (n === 0) break;
    for (let i = buf.indexOf(10); i >= 0 && i < n; i = buf.indexOf(10, i + 1)) lines++;
  }
  closeSync(fd);
  if (lines === 0) throw new Error('empty file');
  return performance.now() - t0;
}

interface Open {
  firstMs: number;
  wholeMs: number;
  rss: number;
  chartBytes: number;
}

async function openOnce(savedir: string, file: string): Promise<Open> {
  const served = await startCli(savedir);
  const controller = new AbortController();
  try {
    // Warm both HTTP stacks (the first fetch of a process sets up its client) on a route that reads no run.
    await (await fetch(new URL('/api/warm-up', served.url))).text();
    const t0 = performance.now();
    const runs = (await (await fetch(new URL('/api/runs', served.url))).json()) as { id: string }[];
    const run = encodeURIComponent(runs[0]!.id);
    const body = (await (await fetch(new URL(`/api/run?run=${run}`, served.url))).json()) as { metrics: { identifier: string }[] };
    const chart = await fetch(new URL(`/api/series?run=${run}&identifier=${encodeURIComponent(body.metrics[0]!.identifier)}&width=1000`, served.url));
    const text = await chart.text();
    const firstMs = performance.now() - t0;
    const size = statSync(file).size;
    let wholeMs = Number.NaN;
    for await (const e of events(new URL(`/api/events?run=${run}`, served.url).href, controller.signal)) {
      if (e.offset >= size) {
        wholeMs = performance.now() - t0;
        break;
      }
    }
    return { firstMs, wholeMs, rss: rssMiB(served.pid), chartBytes: Buffer.byteLength(text) };
  } finally {
    controller.abort();
    served.stop();
  }
}

async function liveLatency(savedir: string, file: string, samples: number): Promise<number[]> {
  const served = await startCli(savedir);
  const controller = new AbortController();
  const out: number[] = [];
  try {
    const runs = (await (await fetch(new URL('/api/runs', served.url))).json()) as { id: string }[];
    const it = events(new URL(`/api/events?run=${encodeURIComponent(runs[0]!.id)}`, served.url).href, controller.signal);
    let rows = 0;
    for (;;) {
      const e = (await it.next()).value!;
      rows = e.rows;
      if (e.offset >= e.size) break;
    }
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      appendFileSync(file, `${new Date().toISOString()},0,live/loss,${i},,${1 / (i + 1)}\n`);
      for (;;) {
        const e = (await it.next()).value!;
        if (e.rows > rows) {
          rows = e.rows;
          break;
        }
      }
      out.push(performance.now() - t0);
    }
    return out;
  } finally {
    controller.abort();
    served.stop();
  }
}

const CHROMIUM = process.env.RANKLOG_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** ms from opening the run's page (a fresh server, a fresh browser context) until a chart is drawn. */
async function pageOnce(browser: Browser, savedir: string): Promise<number> {
  const served = await startCli(savedir);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const runs = (await (await fetch(new URL('/api/runs', served.url))).json()) as { id: string }[];
    const page = await context.newPage();
    const t0 = performance.now();
    await page.goto(`${served.url}#/run/${encodeURIComponent(runs[0]!.id)}`);
    await page.waitForSelector('.chart[data-state="ready"]', { timeout: 120_000 });
    return performance.now() - t0;
  } finally {
    await context.close();
    served.stop();
  }
}

async function launchBrowser(): Promise<Browser | undefined> {
  try {
    return await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  } catch (e) {
    process.stderr.write(`\n[bench] view: no browser figures (${CHROMIUM}: ${(e as Error).message.split('\n')[0]})\n`);
    return undefined;
  }
}

const fmtRows = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`);

export async function view(cfg: Config): Promise<Result[]> {
  const sizes = cfg.quick ? [10_000, 200_000] : [10_000, 1_000_000, 10_000_000];
  const reps = cfg.quick ? 2 : 3;
  const results: Result[] = [];
  let smallest: { savedir: string; file: string } | undefined;
  const browser = await launchBrowser();
  for (const rows of sizes) {
    const savedir = join(cfg.tmp, `view-${rows}`);
    const file = await writeRun(join(savedir, 'run'), rows);
    smallest ??= { savedir, file };
    const raw: number[] = [];
    const opens: Open[] = [];
    for (let i = 0; i < reps; i++) {
      raw.push(rawReadMs(file));
      opens.push(await openOnce(savedir, file));
    }
    const tag = fmtRows(rows);
    const row = (id: string, label: string, unit: Result['unit'], xs: number[], ratioTo?: string): Result => ({
      id,
      label,
      unit,
      ...summarize(xs),
      ...(ratioTo && { ratioTo }),
      extra: { rows },
    });
    results.push(
      row(`view.read.${tag}`, `baseline: read the ${tag}-row metrics.csv's bytes, parse nothing (ms)`, 'ms', raw),
      row(
        `view.first.${tag}`,
        `first chart served: /api/runs, /api/run, one /api/series (width 1000) on a fresh server, ${tag} rows (ms)`,
        'ms',
        opens.map((o) => o.firstMs),
      ),
      row(
        `view.whole.${tag}`,
        `every row read (the event whose offset reaches the file's size), ${tag} rows (ms)`,
        'ms',
        opens.map((o) => o.wholeMs),
        `view.read.${tag}`,
      ),
      row(
        `view.rss.${tag}`,
        `server RSS with the whole ${tag}-row file read`,
        'MiB',
        opens.map((o) => o.rss),
      ),
      row(
        `view.chart.${tag}`,
        `bytes of one chart's /api/series response (4 ranks, width 1000), ${tag} rows`,
        'bytes',
        opens.map((o) => o.chartBytes),
      ),
    );
    if (browser) {
      const page: number[] = [];
      for (let i = 0; i < reps; i++) page.push(await pageOnce(browser, savedir));
      results.push(row(`view.page.${tag}`, `headless chromium: the run's page opened until its first chart is drawn, ${tag} rows (ms)`, 'ms', page));
    }
  }
  await browser?.close();
  const live = await liveLatency(smallest!.savedir, smallest!.file, cfg.quick ? 5 : 20);
  results.push({
    id: 'view.live',
    label: 'live: a row appended to metrics.csv until its Server-Sent Event (ms)',
    unit: 'ms',
    ...summarize(live),
    series: live.map((x) => Math.round(x)),
  });
  return results;
}
