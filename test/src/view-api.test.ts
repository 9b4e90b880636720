/**
 * @ranklog/view's JSON API (issue 14, first slice): a run logged with LocalFileLogger on two ranks
 * is served on 127.0.0.1 as one series per identifier and rank, equal to what was logged; rows
 * appended later are read from the last offset; half-written and malformed rows are held back or
 * skipped and counted; run ids from a request never reach the file system.
 */
import test, { type ExecutionContext } from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { attachLogger, LocalFileLogger } from '@ranklog/core';
import { startViewServer, type RankSeries, type RunInfo, type ViewServer } from '@ranklog/view';

type Point = { step: number | null; batchIdx: number | null; value: RankSeries['value'][number] };

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

async function getJson<T>(server: ViewServer, route: string, status = 200): Promise<T> {
  const res = await fetch(new URL(route, server.url));
  if (res.status !== status) throw new Error(`GET ${route}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

type SeriesBody = { run: string; series: RankSeries[]; rows: number; skipped: number; offset: number };

/** The served series as { "<identifier>@<rank>": points }, to compare with what was logged. */
function points(body: SeriesBody): Record<string, Point[]> {
  const out: Record<string, Point[]> = {};
  for (const s of body.series) {
    const n = s.value.length;
    for (const col of [s.step, s.batchIdx, s.timeMs]) if (col.length !== n) throw new Error(`columns of ${s.identifier}@${s.rank} differ in length`);
    out[`${s.identifier}@${s.rank}`] = s.value.map((value, i) => ({ step: s.step[i] ?? null, batchIdx: s.batchIdx[i] ?? null, value }));
  }
  return out;
}

const WEIRD = 'we"ird,id';
const MALICIOUS = '<img src=x onerror=alert(1)>';

test('a run logged on two ranks is served as one series per identifier and rank, equal to what was logged', async (t) => {
  const savedir = tmpSavedir(t);
  const logger = new LocalFileLogger({ savedir, logFreq: 'batch', logOnWorkers: -1 });
  await logger.createLoggerContext({ rank: 0, worldSize: 2, runName: 'view-api' });
  const rank1 = attachLogger(logger.workerHandle(1));
  const expected: Record<string, Point[]> = {};
  const put = (rank: number, identifier: string, p: Point) => {
    const key = `${identifier}@${rank}`;
    expected[key] ??= [];
    expected[key].push(p);
  };
  for (let step = 0; step < 5; step++) {
    const v0 = 1 / (step + 1);
    const v1 = 2 / (step + 1);
    logger.log(v0, 'train/loss', { step, batchIdx: step % 2 });
    rank1.log(v1, 'train/loss', { step, batchIdx: step % 2 });
    put(0, 'train/loss', { step, batchIdx: step % 2, value: v0 });
    put(1, 'train/loss', { step, batchIdx: step % 2, value: v1 });
  }
  logger.log(0.5, 'val/acc', { step: 0 });
  logger.log(Number.NaN, 'val/acc', { step: 1 });
  logger.log(Number.POSITIVE_INFINITY, 'val/acc', { step: 2 });
  put(0, 'val/acc', { step: 0, batchIdx: null, value: 0.5 });
  put(0, 'val/acc', { step: 1, batchIdx: null, value: 'NaN' });
  put(0, 'val/acc', { step: 2, batchIdx: null, value: 'Infinity' });
  rank1.log(-3, WEIRD, { step: 7 });
  rank1.log(4, MALICIOUS, { step: 8 });
  put(1, WEIRD, { step: 7, batchIdx: null, value: -3 });
  put(1, MALICIOUS, { step: 8, batchIdx: null, value: 4 });
  logger.saveHyperparameters({ lr: 0.01 });
  await rank1.detach();
  await logger.destroyLoggerContext();

  const server = await serve(t, savedir);
  t.regex(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  t.is((server.server.address() as { address: string }).address, '127.0.0.1');

  const runs = await getJson<RunInfo[]>(server, '/api/runs');
  t.is(runs.length, 1);
  const [run] = runs as [RunInfo];
  t.like(run, { id: '0/view-api', name: 'view-api', params: { lr: 0.01 } });
  t.like(run.run, { run_name: 'view-api', world_size: 2 });

  const body = await getJson<SeriesBody>(server, `/api/series?run=${encodeURIComponent(run.id)}`);
  t.is(body.skipped, 0);
  t.is(body.rows, 15);
  t.deepEqual(points(body), expected);
  t.deepEqual(
    body.series.map((s) => `${s.identifier}@${s.rank}`),
    Object.keys(expected).sort(),
    'sorted by identifier, then rank',
  );
  t.true(body.series.every((s) => s.timeMs.every((ms) => Number.isSafeInteger(ms) && Math.abs(ms - Date.now()) < 3_600_000)));

  const one = await getJson<SeriesBody>(server, `/api/series?run=${encodeURIComponent(run.id)}&identifier=${encodeURIComponent(MALICIOUS)}`);
  t.deepEqual(points(one), { [`${MALICIOUS}@1`]: expected[`${MALICIOUS}@1`] });
});

test('rows appended after a read are served from the last offset; a half-written row waits for its line feed; a bad row is skipped and counted', async (t) => {
  const savedir = tmpSavedir(t);
  const runDir = path.join(savedir, 'live');
  fs.mkdirSync(runDir);
  const csv = path.join(runDir, 'metrics.csv');
  fs.writeFileSync(csv, 'timestamp,rank,identifier,step,batch_idx,value\n2024-01-02T03:04:05.678Z,0,loss,0,,1.5\n');
  const server = await serve(t, savedir);
  const route = '/api/series?run=0%2Flive';
  const loss = (b: SeriesBody) => b.series.find((s) => s.identifier === 'loss' && s.rank === 0)?.value;

  const first = await getJson<SeriesBody>(server, route);
  t.deepEqual(loss(first), [1.5]);
  const offset = first.offset;
  t.is(offset, fs.statSync(csv).size);

  fs.appendFileSync(csv, '2024-01-02T03:04:06.000Z,0,loss,1,,2.5\n2024-01-02T03:04:07.000Z,0,lo');
  const second = await getJson<SeriesBody>(server, route);
  t.deepEqual(loss(second), [1.5, 2.5], 'the half-written row is not served');
  t.is(second.offset, offset + '2024-01-02T03:04:06.000Z,0,loss,1,,2.5\n'.length);

  fs.appendFileSync(csv, 'ss,2,,-inf\nnot,a,row\n2024-01-02T03:04:08.000Z,x,loss,3,,1\n"2024-01-02T03:04:09.000Z",0,"a,""b""",4,,7\n');
  const third = await getJson<SeriesBody>(server, route);
  t.deepEqual(loss(third), [1.5, 2.5, '-Infinity']);
  t.deepEqual(third.series.find((s) => s.identifier === 'a,"b"')?.step, [4], 'quoted fields are unquoted');
  t.is(third.skipped, 2, 'the row with 3 fields and the row with rank x');
  t.is(third.rows, 6);
  t.is(third.offset, fs.statSync(csv).size);
});

test('a run id that is not in the runs list is a 404, however it is spelled; other routes and methods are refused', async (t) => {
  const savedir = tmpSavedir(t);
  fs.mkdirSync(path.join(savedir, 'r'));
  fs.writeFileSync(path.join(savedir, 'r', 'metrics.csv'), 'timestamp,rank,identifier,step,batch_idx,value\n');
  fs.mkdirSync(path.join(savedir, 'not-a-run'));
  const server = await serve(t, savedir);
  t.deepEqual(
    (await getJson<RunInfo[]>(server, '/api/runs')).map((r) => r.id),
    ['0/r'],
  );
  for (const id of ['0/..', '0/../r', '0%2F..%2Fr', '../0/r', '0/not-a-run', '1/r', '']) {
    await t.notThrowsAsync(getJson(server, `/api/series?run=${id}`, 404), id);
  }
  await t.notThrowsAsync(getJson(server, '/api/series', 404));
  await t.notThrowsAsync(getJson(server, '/etc/passwd', 404));
  t.is((await fetch(new URL('/api/runs', server.url), { method: 'POST' })).status, 405);
});
