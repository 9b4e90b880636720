/**
 * Volume across processes: 4 torchrun-style processes on 127.0.0.1 (one job over ranklog's
 * rendezvous) each log N points of `loss` (fixtures/job-rank.js: step i, value rank·1e6 + i) to local
 * files, TensorBoard and the MLflow file store. Read back with the independent readers: per rank
 * 0 lost, 0 duplicated, order kept, every value right; one run / job directory / parent per backend.
 * RANKLOG_JOBS_VOLUME_N sets N (default 20 000; the figure is 1 000 000).
 */
import test, { type ExecutionContext } from 'ava';
import { closeSync, openSync, readdirSync, readFileSync, readSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobRankConfig } from './fixtures/job-rank.js';
import { childEnv, dropAmbientEnv } from './support/child-process.js';
import { parseCsv } from './support/csv-parse.js';
import { freePort } from './support/free-port.js';
import { rankLines, run } from './support/job-processes.js';
import { experimentIdsNamed, parseMetricFile, readRun } from './support/mlruns-reader.js';
import { RankSequences } from './support/rank-sequences.js';
import { EVENT_FILE_PATTERN, forEachEvent, scalarOf } from './support/tb-decode.js';
import { TEST_TIMEOUT_MS } from './support/wait-for.js';

const CHILD = fileURLToPath(new URL('./fixtures/job-rank.js', import.meta.url));
const N = Number(process.env.RANKLOG_JOBS_VOLUME_N ?? 20_000);
const WORLD = 4;
const RANKS = [0, 1, 2, 3];
// Liveness bounds only: a million records per rank on a loaded 2-core machine may take minutes.
const SCALE = Math.max(1, N / 100_000);
const LIVE = { RANKLOG_RENDEZVOUS_TIMEOUT_S: '300', RANKLOG_JOB_END_WAIT_S: String(Math.round(300 * SCALE)) };
const expected = (rank: number, step: number) => rank * 1e6 + step;
dropAmbientEnv();

if (!Number.isSafeInteger(N) || N < 1) throw new Error(`RANKLOG_JOBS_VOLUME_N must be a positive integer, got ${process.env.RANKLOG_JOBS_VOLUME_N}`);

/** Calls `visit` with the lines of a file, a chunk at a time (metrics.csv of 4M rows does not fit one string comfortably). */
function forEachLineChunk(file: string, visit: (text: string) => void): void {
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(16 << 20);
  let carry = '';
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const text = carry + buf.toString('utf8', 0, n); // rows are ASCII: no character spans chunks
      const cut = text.lastIndexOf('\n') + 1;
      carry = text.slice(cut);
      if (cut > 0) visit(text.slice(0, cut));
    }
    if (carry !== '') throw new Error(`${file} ends without a newline: ${JSON.stringify(carry.slice(0, 80))}`);
  } finally {
    closeSync(fd);
  }
}

function checkSequences(t: ExecutionContext, backend: string, seq: RankSequences): void {
  t.deepEqual(seq.ranks(), RANKS, `${backend}: ranks`);
  for (const r of RANKS) {
    const rep = seq.report(r, N);
    t.log(`${backend} rank ${r}: ${JSON.stringify(rep)}`);
    t.deepEqual(rep, { count: N, lost: 0, duplicated: 0, outOfOrder: 0, wrongValues: 0 }, `${backend}: rank ${r}`);
  }
}

test(`4 torchrun-style processes × ${N} records: every backend holds every record once, in each rank's order, in one job`, async (t) => {
  t.timeout(TEST_TIMEOUT_MS * SCALE);
  const savedir = mkdtempSync(join(tmpdir(), 'ranklog-jobsvol-'));
  t.teardown(() => rmSync(savedir, { recursive: true, force: true }));
  const cfg: JobRankConfig = { savedir, n: N };
  const port = await freePort();
  const from = performance.now();
  const ends = await Promise.all(
    RANKS.map((r) =>
      run(
        t,
        process.execPath,
        [CHILD, JSON.stringify(cfg)],
        childEnv({
          ...LIVE,
          RANK: String(r),
          WORLD_SIZE: String(WORLD),
          LOCAL_RANK: String(r),
          LOCAL_WORLD_SIZE: String(WORLD),
          MASTER_ADDR: '127.0.0.1',
          MASTER_PORT: String(port - 1), // the rendezvous listens on MASTER_PORT + 1
        }),
      ),
    ),
  );
  const jobSecs = (performance.now() - from) / 1000;
  for (const [r, e] of ends.entries()) t.is(e.code, 0, `rank ${r}: ${e.stderr}`);
  const lines = ends.flatMap((e) => rankLines(e.stdout));
  t.deepEqual(lines.map((l) => l.rank).sort(), RANKS);
  t.is(lines.find((l) => l.rank === 0)?.job?.status, 'finished');
  const readFrom = performance.now();

  // Local files: one run directory; metrics.csv and metrics.jsonl each hold every row once.
  const runDirs = readdirSync(savedir).filter((d) => d !== 'tb' && d !== 'mlruns');
  t.is(runDirs.length, 1, `one local run directory, found ${runDirs.join(', ')}`);
  const runName = runDirs[0]!;
  const csv = new RankSequences(expected);
  let header = '';
  let otherIds = 0;
  forEachLineChunk(join(savedir, runName, 'metrics.csv'), (text) => {
    for (const row of parseCsv(text)) {
      if (row[0] === 'timestamp') {
        t.is(header, '', 'the header once');
        header = row.join(',');
        continue;
      }
      if (row[2] !== 'loss') otherIds++;
      csv.add(Number(row[1]), Number(row[3]), Number(row[5]));
    }
  });
  t.is(header, 'timestamp,rank,identifier,step,batch_idx,value');
  t.is(otherIds, 0, 'metrics.csv: only loss rows');
  checkSequences(t, 'metrics.csv', csv);
  const jsonl = new RankSequences(expected);
  forEachLineChunk(join(savedir, runName, 'metrics.jsonl'), (text) => {
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const o = JSON.parse(line) as { rank: number; step: number; value: number };
      jsonl.add(o.rank, o.step, o.value);
    }
  });
  checkSequences(t, 'metrics.jsonl', jsonl);

  // TensorBoard: one job directory, a run per rank and the job run; each rank's events streamed.
  const tbJob = join(savedir, 'tb', runName);
  t.deepEqual(readdirSync(join(savedir, 'tb')), [runName], 'TensorBoard: one job directory');
  t.deepEqual(readdirSync(tbJob).sort(), ['job', ...RANKS.map((r) => `rank_${r}`)].sort());
  const tb = new RankSequences((r, s) => Math.fround(expected(r, s)));
  for (const r of RANKS) {
    const dir = join(tbJob, `rank_${r}`);
    for (const f of readdirSync(dir)
      .filter((n) => EVENT_FILE_PATTERN.test(n))
      .sort()) {
      const framing = forEachEvent(new Uint8Array(readFileSync(join(dir, f))), f, (ev) => {
        for (const v of ev.summary?.values ?? []) if (v.tag === 'loss') tb.add(r, ev.step, scalarOf(v) ?? Number.NaN);
      });
      t.deepEqual([framing.errors, framing.truncatedTail], [[], false], `TensorBoard ${f}`);
    }
  }
  checkSequences(t, 'TensorBoard', tb);

  // MLflow file store: one parent run (FINISHED), a child per rank under it; one run read at a time.
  const mlruns = join(savedir, 'mlruns');
  const [experimentId, ...more] = experimentIdsNamed(mlruns, 'jobs');
  t.is(more.length, 0, 'one experiment');
  const expDir = join(mlruns, experimentId!);
  const ml = new RankSequences(expected);
  const parents: string[] = [];
  const parentOf = new Map<number, string | undefined>();
  for (const id of readdirSync(expDir, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== 'datasets')) {
    const runDir = join(expDir, id.name);
    const meta = readRun(runDir); // metrics parsed once here, then dropped with it
    if (meta.tags.has('ranklog.job')) {
      parents.push(`${meta.runId} ${meta.status}`);
      continue;
    }
    const r = Number(meta.tags.get('ranklog.rank'));
    parentOf.set(r, meta.tags.get('mlflow.parentRunId'));
    for (const m of meta.metrics.get('loss') ?? parseMetricFile('')) ml.add(r, m.step, m.value);
  }
  t.is(parents.length, 1, `exactly one MLflow parent: ${parents.join(', ')}`);
  t.regex(parents[0] ?? '', / FINISHED$/);
  for (const r of RANKS) t.is(parentOf.get(r), parents[0]?.split(' ')[0], `MLflow: rank ${r}'s run nests under the parent`);
  checkSequences(t, 'MLflow', ml);

  t.log(
    `${WORLD} × ${N} records: job ${jobSecs.toFixed(1)} s (start to every process's exit), reading back ${((performance.now() - readFrom) / 1000).toFixed(1)} s`,
  );
});
