/**
 * @ranklog/view's HTTP API (docs/view-api.md), on 127.0.0.1: runs logged with LocalFileLogger are
 * served as logged (status, params, final values, one curve per identifier and rank); appended
 * rows are read from the last offset, half-written and malformed ones held back or counted;
 * downsampling keeps at most 2 × width points and the extremes; aggregates and histograms;
 * the file route never leaves a run directory; Server-Sent Events announce appended rows.
 * Expected values come from what the test logged or wrote, never from the viewer's code.
 */
import test, { type ExecutionContext } from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { attachLogger, LocalFileLogger } from '@ranklog/core';
import { type RunInfo, startViewServer, type ViewServer } from '@ranklog/view';
import { handMadePng } from './support/image-bytes.js';

const HEADER = 'timestamp,rank,identifier,step,batch_idx,value\n';
const WEIRD = 'we"ird,id';
const MALICIOUS = '<img src=x onerror=alert(1)>';

type Series = { rank: number | string; label: string; x: number[]; y: (number | null)[]; points: number };
type SeriesBody = { identifier: string; x: string; version: number; rows: number; skipped: number; series: Series[] };
type RunBody = {
  id: string;
  info: RunInfo;
  rows: number;
  skipped: number;
  metrics: { identifier: string; ranks: number[]; stats: string[]; points: number; batchLevel: boolean }[];
  histograms: { identifier: string; ranks: number[]; points: number }[];
  media: { kind: string; identifier: string; path: string; rank: number | null; step: number | null; batchIdx: number | null; size: number }[];
  artifacts: { identifier: string; path: string; size: number }[];
};

function tmpSavedir(t: ExecutionContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ranklog-view-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function serve(t: ExecutionContext, savedir: string): Promise<ViewServer> {
  const server = await startViewServer({ savedirs: [savedir], port: 0 });
  t.teardown(() => server.close());
  return server;
}

async function get(server: ViewServer, route: string): Promise<Response> {
  return fetch(new URL(route, server.url));
}

async function getJson<T>(server: ViewServer, route: string, status = 200): Promise<T> {
  const res = await get(server, route);
  if (res.status !== status) throw new Error(`GET ${route}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const series = (server: ViewServer, run: string, identifier: string, extra = '') =>
  getJson<SeriesBody>(server, `/api/series?run=${encodeURIComponent(run)}&identifier=${encodeURIComponent(identifier)}&width=8192${extra}`);

/** A series as "x:y" pairs, to compare with what was logged. */
const pairs = (s: Series | undefined) => (s ? s.x.map((x, i) => `${x}:${s.y[i]}`) : undefined);

test('a run logged on two ranks is served as logged: runs list with status, params and final values; one curve per identifier and rank', async (t) => {
  const savedir = tmpSavedir(t);
  const logger = new LocalFileLogger({ savedir, logFreq: 'batch', logOnWorkers: -1 });
  await logger.createLoggerContext({ rank: 0, worldSize: 2, runName: 'view-api', handleSignals: false, tags: ['a', MALICIOUS] });
  const rank1 = attachLogger(logger.workerHandle(1));
  const expected: Record<string, string[]> = {};
  const put = (rank: number, identifier: string, x: number, y: number | null) => {
    const key = `${identifier}@${rank}`;
    expected[key] ??= [];
    expected[key].push(`${x}:${y}`);
  };
  for (let step = 0; step < 5; step++) {
    logger.log(1 / (step + 1), 'train/loss', { step, batchIdx: step % 2 });
    rank1.log(2 / (step + 1), 'train/loss', { step, batchIdx: step % 2 });
    put(0, 'train/loss', step, 1 / (step + 1));
    put(1, 'train/loss', step, 2 / (step + 1));
  }
  logger.log(0.5, 'val/acc', { step: 0 });
  logger.log(Number.NaN, 'val/acc', { step: 1 });
  logger.log(Number.POSITIVE_INFINITY, 'val/acc', { step: 2 });
  put(0, 'val/acc', 0, 0.5);
  put(0, 'val/acc', 1, null);
  put(0, 'val/acc', 2, null);
  rank1.log(-3, WEIRD, { step: 7 });
  rank1.log(4, MALICIOUS, { step: 8 });
  put(1, WEIRD, 7, -3);
  put(1, MALICIOUS, 8, 4);
  logger.saveHyperparameters({ lr: 0.01 });
  await rank1.detach();
  await logger.destroyLoggerContext();

  const server = await serve(t, savedir);
  t.regex(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  t.is((server.server.address() as { address: string }).address, '127.0.0.1');

  const runs = await getJson<RunInfo[]>(server, '/api/runs');
  t.is(runs.length, 1);
  const [run] = runs as [RunInfo];
  t.like(run, { id: '0/view-api', name: 'view-api', params: { lr: 0.01 }, status: 'finished' });
  t.like(run.run, { run_name: 'view-api', world_size: 2, tags: ['a', MALICIOUS] });
  t.is(run.startTime, (run.run as { created_at: string }).created_at);
  t.deepEqual(
    run.final,
    { 'train/loss': 1 / 5, 'val/acc': 'Infinity', [WEIRD]: -3, [MALICIOUS]: 4 },
    'the lowest rank that logged each identifier, its last value',
  );

  const body = await getJson<RunBody>(server, `/api/run?run=${encodeURIComponent(run.id)}`);
  t.is(body.rows, 15);
  t.is(body.skipped, 0);
  t.deepEqual(
    body.metrics.map((m) => [m.identifier, m.ranks, m.points, m.batchLevel]),
    [
      [MALICIOUS, [1], 1, false],
      ['train/loss', [0, 1], 5, true],
      ['val/acc', [0], 3, false],
      [WEIRD, [1], 1, false],
    ],
    'sorted by identifier (UTF-16 order)',
  );

  const served: Record<string, string[]> = {};
  for (const m of body.metrics) {
    const s = await series(server, run.id, m.identifier);
    t.is(s.identifier, m.identifier);
    for (const c of s.series) served[`${m.identifier}@${c.rank}`] = pairs(c)!;
  }
  t.deepEqual(served, expected);

  // x by batch index: train/loss's points sorted by batch (0,0,0 then 1,1 per rank; stable within equal x).
  const byBatch = await series(server, run.id, 'train/loss', '&x=batch');
  t.deepEqual(pairs(byBatch.series[0]), ['0:1', '0:0.3333333333333333', '0:0.2', '1:0.5', '1:0.25']);
  t.deepEqual((await series(server, run.id, 'val/acc', '&x=batch')).series[0]?.x, [], 'epoch-level rows have no batch index');
  const byTime = await series(server, run.id, 'train/loss', '&x=time');
  t.true(byTime.series.every((s) => s.x.length === 5 && s.x.every((ms) => Number.isSafeInteger(ms) && Math.abs(ms - Date.now()) < 3_600_000)));
});

test('rows appended after a read are served from the last offset; a half-written row waits for its line feed; bad rows are skipped and counted', async (t) => {
  const savedir = tmpSavedir(t);
  const runDir = path.join(savedir, 'live');
  fs.mkdirSync(runDir);
  const csv = path.join(runDir, 'metrics.csv');
  fs.writeFileSync(csv, `${HEADER}2024-01-02T03:04:05.678Z,0,loss,0,,1.5\n`);
  const server = await serve(t, savedir);
  const loss = async () => (await series(server, '0/live', 'loss')).series.find((s) => s.rank === 0)!.y;
  const counts = async () => {
    const b = await getJson<RunBody>(server, '/api/run?run=0%2Flive');
    return { rows: b.rows, skipped: b.skipped };
  };

  t.deepEqual(await loss(), [1.5]);
  fs.appendFileSync(csv, '2024-01-02T03:04:06.000Z,0,loss,1,,2.5\n2024-01-02T03:04:07.000Z,0,lo');
  t.deepEqual(await loss(), [1.5, 2.5], 'the half-written row is not served');
  t.deepEqual(await counts(), { rows: 2, skipped: 0 });

  fs.appendFileSync(
    csv,
    'ss,2,,-inf\nnot,a,row\n2024-01-02T03:04:08.000Z,x,loss,3,,1\n2024-01-02T03:04:08.000Z,0,loss,4,,1e400x\n2024-13-02T03:04:08.000Z,0,loss,5,,1\n"2024-01-02T03:04:09.000Z",0,"a,""b""",4,,7\n2024-01-02T03:04:10.5+01:00,0,loss,6,,0.125\n',
  );
  t.deepEqual(await loss(), [1.5, 2.5, null, 0.125], '-inf is a gap; an ISO time with an offset is accepted');
  t.deepEqual(pairs((await series(server, '0/live', 'a,"b"')).series[0]), ['4:7'], 'quoted fields are unquoted');
  t.deepEqual(await counts(), { rows: 9, skipped: 4 }, 'the 3-field row, rank x, value 1e400x and month 13');
});

test('downsampling: at most 2 × width points per curve, sorted by x, each a logged point, the extremes kept; from/to zoom in', async (t) => {
  const savedir = tmpSavedir(t);
  fs.mkdirSync(path.join(savedir, 'big'));
  const n = 20_000;
  const lines = [HEADER];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    // A smooth curve with one spike up and one down, which a naive stride would miss.
    const y = i === 12_345 ? 100 : i === 777 ? -100 : Math.sin(i / 500);
    ys.push(y);
    lines.push(`2024-01-02T03:04:05.000Z,0,m,${i},,${y}\n`);
  }
  fs.writeFileSync(path.join(savedir, 'big', 'metrics.csv'), lines.join(''));
  const server = await serve(t, savedir);
  for (const width of [16, 100, 1000]) {
    const s = (await getJson<SeriesBody>(server, `/api/series?run=0%2Fbig&identifier=m&width=${width}`)).series[0]!;
    t.is(s.points, n);
    t.true(s.x.length <= 2 * width && s.x.length >= width, `${s.x.length} points for width ${width}`);
    t.true(
      s.x.every((x, i) => i === 0 || x > s.x[i - 1]!),
      'strictly increasing x',
    );
    t.true(
      s.x.every((x, i) => ys[x] === s.y[i]),
      'every point is a logged one',
    );
    t.true(s.y.includes(100) && s.y.includes(-100), 'both spikes survive');
  }
  const zoom = (await getJson<SeriesBody>(server, '/api/series?run=0%2Fbig&identifier=m&width=100&from=12300&to=12400')).series[0]!;
  t.is(zoom.points, 101);
  t.deepEqual(
    zoom.x,
    Array.from({ length: 101 }, (_, i) => 12300 + i),
    'a window narrower than 2 × width comes whole',
  );
});

test("aggregates.csv is served as the identifier's cross-rank curves; histograms are binned per rank over one range", async (t) => {
  const savedir = tmpSavedir(t);
  const dir = path.join(savedir, 'agg');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'metrics.csv'), `${HEADER}2024-01-02T03:04:05.000Z,0,loss,0,,1\n2024-01-02T03:04:05.000Z,1,loss,0,,3\n`);
  fs.writeFileSync(
    path.join(dir, 'aggregates.csv'),
    'timestamp,identifier,step,stat,value,ranks,expected_ranks,count\n2024-01-02T03:04:05.000Z,loss,0,mean,2,2,2,2\n2024-01-02T03:04:05.000Z,loss,0,max,3,2,2,2\n2024-01-02T03:04:06.000Z,loss,1,mean,NaN,1,2,1\nbroken\n',
  );
  const hist = (step: number, values: unknown[]) =>
    `${JSON.stringify({ timestamp: '2024-01-02T03:04:05.000Z', time_ms: 0, rank: 0, identifier: 'w', step, batch_idx: null, count: values.length, values })}\n`;
  fs.writeFileSync(path.join(dir, 'histograms.jsonl'), hist(0, [0, 0.1, 0.2, 1]) + '{"not json\n' + hist(1, [0.9, 1, 'NaN', 'Infinity']));
  const server = await serve(t, savedir);

  const run = await getJson<RunBody & { aggregateSkipped: number; histogramSkipped: number }>(server, '/api/run?run=0%2Fagg');
  t.deepEqual(run.metrics, [{ identifier: 'loss', ranks: [0, 1], stats: ['max', 'mean'], points: 1, batchLevel: false }]);
  t.is(run.aggregateSkipped, 1);
  t.is(run.histogramSkipped, 1);
  t.deepEqual(run.histograms, [{ identifier: 'w', ranks: [0], points: 2 }]);

  const s = await series(server, '0/agg', 'loss');
  t.deepEqual(
    s.series.map((c) => [c.rank, c.label, pairs(c)]),
    [
      [0, 'rank 0', ['0:1']],
      [1, 'rank 1', ['0:3']],
      ['max', 'max of ranks', ['0:3']],
      ['mean', 'mean of ranks', ['0:2', '1:null']],
    ],
  );
  t.deepEqual(
    (await series(server, '0/agg', 'loss', '&x=batch')).series.map((c) => c.rank),
    [0, 1],
    'aggregates are per step: not drawn against the batch index',
  );

  const h = await getJson<{ edges: number[]; rows: { step: number; count: number; counts: number[] }[] }>(
    server,
    '/api/histogram?run=0%2Fagg&identifier=w&rank=0&bins=4',
  );
  t.deepEqual(h.edges, [0, 0.25, 0.5, 0.75, 1]);
  // Counted by hand: [0, 0.1, 0.2] in bin 0, 1 in the last; [0.9, 1] in the last, NaN and Infinity left out.
  t.deepEqual(
    h.rows.map((r) => [r.step, r.count, r.counts]),
    [
      [0, 4, [3, 0, 0, 1]],
      [1, 2, [0, 0, 0, 2]],
    ],
  );
  await t.notThrowsAsync(getJson(server, '/api/histogram?run=0%2Fagg&identifier=w&rank=1', 404));
});

test('the file route serves the files of a run with fixed types and never anything outside it, however the path is spelled', async (t) => {
  const savedir = tmpSavedir(t);
  const logger = new LocalFileLogger({ savedir });
  await logger.createLoggerContext({ runName: 'files', handleSignals: false });
  const png = handMadePng(2, 2, 3, new Uint8Array(12).fill(200));
  logger.log(png, 'samples/grid', { kind: 'image', step: 3 });
  logger.log(MALICIOUS, 'notes', { kind: 'text' });
  const page = path.join(savedir, 'page.html');
  fs.writeFileSync(page, '<script>window.x = 1</script>');
  logger.log(page, 'report', { kind: 'artifact' });
  await logger.destroyLoggerContext();
  // Things a request must not reach: a file beside the run, and a symbolic link out of the run directory.
  fs.writeFileSync(path.join(savedir, 'secret.txt'), 'secret');
  fs.symlinkSync(path.join(savedir, 'secret.txt'), path.join(savedir, 'files', 'link.txt'));
  fs.symlinkSync(savedir, path.join(savedir, 'files', 'up'));
  const server = await serve(t, savedir);

  const run = await getJson<RunBody>(server, '/api/run?run=0%2Ffiles');
  t.deepEqual(
    run.media.map((m) => [m.kind, m.identifier, m.rank]),
    [
      ['image', 'samples/grid', 0],
      ['text', 'notes', 0],
    ],
  );
  t.is(run.media[0]!.step, 3);
  t.deepEqual(
    run.artifacts.map((a) => a.path),
    ['artifacts/report/page.html'],
  );
  const file = (p: string, extra = '') => get(server, `/api/file?run=0%2Ffiles&path=${p}${extra}`);

  const image = await file(encodeURIComponent(run.media[0]!.path));
  t.is(image.status, 200);
  t.is(image.headers.get('content-type'), 'image/png');
  t.is(image.headers.get('x-content-type-options'), 'nosniff');
  t.deepEqual(Buffer.from(await image.arrayBuffer()), Buffer.from(png));

  const text = await file(encodeURIComponent(run.media[1]!.path));
  t.is(text.headers.get('content-type'), 'text/plain; charset=utf-8');
  t.is(await text.text(), MALICIOUS);

  const artifact = await file(encodeURIComponent('artifacts/report/page.html'));
  t.is(artifact.status, 200);
  t.is(artifact.headers.get('content-type'), 'application/octet-stream', 'never text/html');
  t.regex(artifact.headers.get('content-disposition') ?? '', /^attachment;/);

  for (const p of [
    '../secret.txt',
    '..%2Fsecret.txt',
    '%2E%2E%2Fsecret.txt',
    'text/..%2F..%2Fsecret.txt',
    'link.txt',
    'up/secret.txt',
    'up%2Fsecret.txt',
    encodeURIComponent(path.join(savedir, 'secret.txt')),
    '..%5Csecret.txt',
    'run.json%00.png',
    './run.json',
    'text//notes',
    '',
    'text',
  ]) {
    const res = await file(p);
    t.is(res.status, 404, p);
    t.false((await res.text()).includes('secret'), p);
  }
  t.is((await file('run.json')).status, 200, 'a top-level file of the run is served');
});

test('Server-Sent Events: an update on connect, then one after rows are appended (the page re-fetches on it)', async (t) => {
  const savedir = tmpSavedir(t);
  fs.mkdirSync(path.join(savedir, 'sse'));
  const csv = path.join(savedir, 'sse', 'metrics.csv');
  fs.writeFileSync(csv, `${HEADER}2024-01-02T03:04:05.000Z,0,m,0,,1\n`);
  const server = await serve(t, savedir);
  const controller = new AbortController();
  t.teardown(() => controller.abort());
  const res = await fetch(new URL('/api/events?run=0%2Fsse', server.url), { signal: controller.signal });
  t.is(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  /** The next event's data that `ok` accepts (events are separated by a blank line). */
  async function eventWhere(ok: (p: { version: number; rows: number }) => boolean): Promise<{ version: number; rows: number }> {
    for (;;) {
      const end = buffered.indexOf('\n\n');
      if (end >= 0) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (/^event: update$/m.test(block) && data) {
          const p = JSON.parse(data) as { version: number; rows: number };
          if (ok(p)) return p;
        }
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('the event stream ended');
      buffered += value;
    }
  }
  const first = await eventWhere(() => true);
  fs.appendFileSync(csv, '2024-01-02T03:04:06.000Z,0,m,1,,2\n2024-01-02T03:04:07.000Z,0,m,2,,3\n');
  const next = await eventWhere((p) => p.rows >= 3);
  t.is(next.rows, 3);
  t.true(next.version > first.version);
  t.deepEqual((await series(server, '0/sse', 'm')).series[0]?.y, [1, 2, 3]);
  // No row, but an image and the run's end: the page must hear of them too.
  fs.mkdirSync(path.join(savedir, 'sse', 'images', 'samples'), { recursive: true });
  fs.writeFileSync(path.join(savedir, 'sse', 'images', 'samples', 'rank0-step1.png'), handMadePng(1, 1, 1, new Uint8Array(1)));
  const image = await eventWhere((p) => p.version > next.version);
  t.is(image.rows, 3);
  t.deepEqual(
    (await getJson<RunBody>(server, '/api/run?run=0%2Fsse')).media.map((m) => m.path),
    ['images/samples/rank0-step1.png'],
  );
  fs.writeFileSync(path.join(savedir, 'sse', 'run.json'), JSON.stringify({ run_name: 'sse', status: 'finished' }));
  await eventWhere((p) => p.version > image.version);
  t.is((await getJson<RunInfo[]>(server, '/api/runs'))[0]?.status, 'finished');
});

test('unknown runs, identifiers and routes are 404; bad parameters a 400 naming the parameter, the value and the fix; only GET and HEAD', async (t) => {
  const savedir = tmpSavedir(t);
  fs.mkdirSync(path.join(savedir, 'r'));
  fs.writeFileSync(path.join(savedir, 'r', 'metrics.csv'), `${HEADER}2024-01-02T03:04:05.000Z,0,m,0,,1\n`);
  fs.mkdirSync(path.join(savedir, 'not-a-run'));
  const server = await serve(t, savedir);
  t.deepEqual(
    (await getJson<RunInfo[]>(server, '/api/runs')).map((r) => r.id),
    ['0/r'],
  );
  for (const id of ['0/..', '0/../r', '0%2F..%2Fr', '../0/r', '0/not-a-run', '1/r', '']) {
    await t.notThrowsAsync(getJson(server, `/api/run?run=${id}`, 404), id);
    await t.notThrowsAsync(getJson(server, `/api/series?run=${id}&identifier=m`, 404), id);
  }
  await t.notThrowsAsync(getJson(server, '/api/series?run=0%2Fr&identifier=nope', 404));
  await t.notThrowsAsync(getJson(server, '/etc/passwd', 404));
  await t.notThrowsAsync(getJson(server, '/ui/..%2F..%2Fpackage.json', 404));
  for (const [query, re] of [
    ['identifier=m&x=epoch', /^x="epoch": use x=step, x=time or x=batch$/],
    ['identifier=m&width=5', /^width="5": use a whole number from 16 to 8192$/],
    ['identifier=m&from=abc', /^from="abc": use a finite number/],
    ['', /^identifier=\(missing\): identifier is required/],
  ] as const) {
    const body = await getJson<{ error: string }>(server, `/api/series?run=0%2Fr&${query}`, 400);
    t.regex(body.error, re, query);
  }
  t.is((await fetch(new URL('/api/runs', server.url), { method: 'POST' })).status, 405);
  t.is((await fetch(new URL('/api/runs', server.url), { method: 'HEAD' })).status, 200);
});

test('past its raw cap a curve is summarised: the same extremes at full view, and a zoom re-reads exactly the logged points, whatever order the steps came in', async (t) => {
  const savedir = tmpSavedir(t);
  fs.mkdirSync(path.join(savedir, 'big'));
  // Two ranks interleaved; steps jump far (the summary's grid widens many times) and a resumed launch logs steps 5000… again.
  const lines = [HEADER];
  const logged: Record<number, [number, number][]> = { 0: [], 1: [] };
  const steps = [...Array.from({ length: 6000 }, (_, i) => i), ...Array.from({ length: 500 }, (_, i) => 5000 + i)];
  for (const [i, step] of steps.entries()) {
    for (const rank of [0, 1]) {
      const y = i === 4321 && rank === 1 ? 1e6 : i === 99 ? -1e6 : i === 2000 && rank === 0 ? Number.NaN : Math.cos(i / 300) + rank;
      logged[rank]!.push([step, y]);
      lines.push(`2024-01-02T03:04:05.000Z,${rank},m,${step},${i % 50},${Number.isNaN(y) ? 'NaN' : y}\n`);
    }
  }
  // One far step squeezes the summary's buckets: too coarse for the chart, the curve is read again.
  for (let i = 0; i <= 300; i++) lines.push(`2024-01-02T03:04:05.000Z,0,far,${i === 300 ? 10_000_000 : i},,${i}\n`);
  fs.writeFileSync(path.join(savedir, 'big', 'metrics.csv'), lines.join(''));
  const raw = await startViewServer({ savedirs: [savedir] });
  const summarised = await startViewServer({ savedirs: [savedir], read: { rawCap: 100 } });
  t.teardown(() => Promise.all([raw.close(), summarised.close()]).then(() => {}));
  const q = (extra: string) => `/api/series?run=0%2Fbig&identifier=m${extra}`;

  for (const width of [200, 1000]) {
    const a = await getJson<SeriesBody>(raw, q(`&width=${width}`));
    const b = await getJson<SeriesBody>(summarised, q(`&width=${width}`));
    for (const rank of [0, 1]) {
      const s = b.series.find((c) => c.rank === rank)!;
      const r = a.series.find((c) => c.rank === rank)!;
      t.is(s.points, steps.length, 'points counts every logged point, summarised or not');
      // 2 per pixel, and a gap (null) where a pixel's points include a NaN.
      t.true(s.x.length <= 2 * width + s.y.filter((y) => y === null).length, `${s.x.length} points for width ${width}`);
      if (rank === 0) t.true(s.y.includes(null), 'the NaN is kept as a gap');
      const all = new Set(logged[rank]!.map(([x, y]) => `${x}:${Number.isFinite(y) ? y : null}`));
      t.true(
        s.x.every((x, i) => all.has(`${x}:${s.y[i]}`)),
        'every served point was logged',
      );
      const finite = (ys: (number | null)[]) => ys.filter((y): y is number => y !== null);
      t.is(Math.max(...finite(s.y)), Math.max(...finite(r.y)), 'the same maximum as from the raw points');
      t.is(Math.min(...finite(s.y)), Math.min(...finite(r.y)), 'the same minimum');
      t.is(s.x.at(-1), 5999);
    }
  }
  const far = (await getJson<SeriesBody>(summarised, '/api/series?run=0%2Fbig&identifier=far&width=1000')).series[0]!;
  t.deepEqual(far.x, [...Array.from({ length: 300 }, (_, i) => i), 10_000_000]);
  // A zoom narrower than the summary's buckets: the rows are read again, and every logged point of the window comes back.
  const zoom = await getJson<SeriesBody>(summarised, q('&width=1000&from=5100&to=5300'));
  for (const rank of [0, 1]) {
    const expected = logged[rank]!.filter(([x]) => x >= 5100 && x <= 5300).sort((p, q) => p[0] - q[0]);
    const got = zoom.series.find((c) => c.rank === rank)!;
    t.is(got.points, expected.length);
    t.deepEqual(
      got.x.map((x, i) => `${x}:${got.y[i]}`),
      expected.map(([x, y]) => `${x}:${Number.isFinite(y) ? y : null}`),
    );
  }
  // By batch index: 50 values, each its extremes; by time: one timestamp, all points in one bucket.
  const byBatch = (await getJson<SeriesBody>(summarised, q('&width=100&x=batch'))).series[0]!;
  t.deepEqual(
    [...new Set(byBatch.x)],
    Array.from({ length: 50 }, (_, i) => i),
  );
});
