/**
 * End to end: records/s from the first log() until destroyLoggerContext()
 * returns (every record written by the backend), with the drop count,
 * which must be 0 under the default 'wait' policy. Each backend runs in a
 * fresh child process, so its peak RSS is its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { statSync, readdirSync } from 'node:fs';
import { LocalFileLogger, NullLogger, type Logger } from '@ranklog/core';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { TensorBoardLogger } from '@ranklog/tensorboard';
import { MLFlowLogger } from '@ranklog/mlflow';
import { childTask, runChildMeasured, single, summarize, type Config, type Result } from './harness.js';

interface E2eCase {
  id: string;
  label: string;
  records: (quick: boolean) => number;
  make: (dir: string, url?: string) => Logger;
  /** A server the backend talks to, started before the runs (its URL goes to make). */
  server?: () => Promise<{ url: string; stop(): void }>;
}

/** A server in its own process that prints its URL as a JSON line (mlflow-double-process.ts, null-tracking-server.ts). */
async function serverProcess(file: string): Promise<{ url: string; stop(): void }> {
  const child: ChildProcess = spawn(process.execPath, [new URL(file, import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the MLflow double exited (${code})`)));
  });
  return { url: (JSON.parse(line) as { url: string }).url, stop: () => child.kill('SIGTERM') };
}

const cases: E2eCase[] = [
  { id: 'e2e.null', label: 'NullLogger', records: (q) => (q ? 2e6 : 10e6), make: () => new NullLogger({ logFreq: 'batch' }) },
  {
    id: 'e2e.local',
    label: 'LocalFileLogger (CSV + JSONL in a tmp dir)',
    records: (q) => (q ? 5e5 : 3e6),
    make: (dir) => new LocalFileLogger({ logFreq: 'batch', savedir: dir }),
  },
  {
    id: 'e2e.tensorboard',
    label: "TensorBoardLogger (event files in a tmp dir; tag 'loss')",
    records: (q) => (q ? 1e6 : 5e6),
    make: (dir) => new TensorBoardLogger({ logFreq: 'batch', savedir: dir }),
  },
  {
    id: 'e2e.mlflow',
    label: 'MLFlowLogger into the tracking-server double (its own process, over loopback)',
    records: (q) => (q ? 1e5 : 5e5),
    make: (dir, url) => new MLFlowLogger({ logFreq: 'batch', savedir: dir, trackingUri: url, experimentName: 'bench', closeTimeoutSecs: 600 }),
    server: () => serverProcess('./mlflow-double-process.js'),
  },
  {
    id: 'e2e.mlflow.null-server',
    label: 'MLFlowLogger into a server that accepts everything and stores nothing (the client alone)',
    records: (q) => (q ? 2e5 : 1e6),
    make: (dir, url) => new MLFlowLogger({ logFreq: 'batch', savedir: dir, trackingUri: url, experimentName: 'bench', closeTimeoutSecs: 600 }),
    server: () => serverProcess('./null-tracking-server.js'),
  },
];

/** Bytes of all files under dir (the event files of a TensorBoard run). */
function bytesUnder(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) n += statSync(join(e.parentPath, e.name)).size;
  return n;
}

interface E2eArgs {
  id: string;
  n: number;
  runs: number;
  tmp: string;
}
interface E2eAnswer {
  rates: number[];
  dropped: number;
  written: number;
  bytes: number;
}

/** In a child process: `runs` runs of one case. */
async function e2eChild(a: E2eArgs): Promise<E2eAnswer> {
  const c = cases.find((x) => x.id === a.id)!;
  const rates: number[] = [];
  let dropped = 0;
  let written = 0;
  let bytes = 0;
  const server = await c.server?.();
  for (let run = 0; run < a.runs; run++) {
    const dir = mkdtempSync(join(a.tmp, 'e2e-'));
    const lg = c.make(dir, server?.url);
    await lg.createLoggerContext({ rank: 0, runName: `bench-${c.id}-${run}`, handleSignals: false });
    const h = lg.handle('loss');
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < a.n; i++) lg.metric(h, i * 1e-6, i, i % 1000);
    const st = await lg.destroyLoggerContext();
    rates.push(a.n / (Number(process.hrtime.bigint() - t0) / 1e9));
    dropped += st.dropped;
    written += st.backends[0]?.written ?? 0;
    bytes = bytesUnder(dir);
    rmSync(dir, { recursive: true, force: true });
  }
  server?.stop();
  return { rates, dropped, written, bytes };
}

childTask(import.meta.url, 'e2e', e2eChild);

export async function endToEnd(cfg: Config): Promise<Result[]> {
  const out: Result[] = [];
  for (const c of cases) {
    const n = c.records(cfg.quick);
    const args: E2eArgs = { id: c.id, n, runs: cfg.quick ? 2 : 3, tmp: cfg.tmp };
    const { value: a, peakRssMiB } = await runChildMeasured<E2eAnswer>(import.meta.url, 'e2e', args);
    out.push({
      id: c.id,
      label: `end to end into ${c.label}, ${n / 1e6}M records, first log() to destroyLoggerContext()`,
      unit: 'records/s',
      ...summarize(a.rates),
      ratioTo: c.id === 'e2e.null' ? undefined : 'e2e.null',
      extra: {
        records: n,
        runs: a.rates.length,
        dropped: a.dropped,
        writtenPerRun: a.written / a.rates.length,
        bytesPerRecord: Number((a.bytes / n).toFixed(2)),
      },
    });
    out.push(
      single(
        `${c.id}.peak-rss`,
        `end to end into ${c.label} — peak RSS of its child process (VmHWM, Node included)`,
        'MiB',
        peakRssMiB,
        c.id === 'e2e.null' ? 'mem.peak.idle-child' : 'e2e.null.peak-rss',
      ),
    );
  }
  return out;
}
