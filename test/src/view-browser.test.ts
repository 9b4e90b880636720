/**
 * `ranklog view` in a real browser (issue 14): headless Debian chromium driven by playwright-core
 * opens the page served by startViewServer and checks what a user sees — the example's run in
 * the runs table, a chart with a curve per rank and the point counts of metrics.csv (counted here
 * with the tests' own CSV parser), a live run's chart growing as rows are flushed, an image that
 * decodes, a hostile identifier shown as text, and the chart controls. Every wait is on a DOM
 * state or an event (waitForSelector / waitForFunction), never a sleep. Screenshots go to
 * test/artifacts/view/<test>.png.
 */
import type { ExecutionContext } from 'ava';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { attachLogger, LocalFileLogger } from '@ranklog/core';
import { startViewServer, type ViewServer } from '@ranklog/view';
import type { Page } from 'playwright-core';
import { browserTest } from './support/browser.js';
import { parseSeries, waitForChart } from './support/browser-chart.js';
import type { PageElement, PageGlobals } from './support/browser-dom.js';
import { childEnv, runNode } from './support/child-process.js';
import { parseCsv } from './support/csv-parse.js';

const FILE = 'view-browser.test.js';
const EXAMPLE = fileURLToPath(new URL('../../examples/dist/mlp/main.js', import.meta.url));
const MALICIOUS = '<img src=x onerror="window.__pwned=1">';

function tmpDir(t: ExecutionContext, prefix = 'ranklog-view-browser-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function serve(t: ExecutionContext, savedir: string): Promise<ViewServer> {
  const server = await startViewServer({ savedirs: [savedir], port: 0 });
  t.teardown(() => server.close());
  return server;
}

function runUrl(server: ViewServer, id: string): string {
  return `${server.url}#/run/${encodeURIComponent(id)}`;
}

/** The example's run, made once for the tests that read it: `node examples/dist/mlp/main.js` into a temporary savedir. */
let example: Promise<{ savedir: string; runName: string }> | undefined;
function exampleRun(t: ExecutionContext): Promise<{ savedir: string; runName: string }> {
  example ??= (async () => {
    // Outlives this test (the next one reads it too): removed when the process exits.
    const dir = mkdtempSync(join(tmpdir(), 'ranklog-view-example-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const savedir = join(dir, 'logs');
    const end = await runNode(t, [EXAMPLE, '--savedir', savedir, '--tbdir', join(dir, 'mllogs'), '--quiet'], childEnv({}));
    if (end.code !== 0) throw new Error(`the example failed (${end.code}): ${end.stderr}`);
    const [runName, ...others] = readdirSync(savedir);
    if (!runName || others.length > 0) throw new Error(`the example wrote ${readdirSync(savedir).join(', ')} in its savedir; expected one run directory`);
    return { savedir, runName };
  })();
  return example;
}

/** Points per rank of one identifier in metrics.csv, with a step (the charts' default x), read with the tests' own RFC 4180 parser. */
function csvCounts(runDir: string, identifier: string): Record<string, number> {
  const [header, ...rows] = parseCsv(readFileSync(join(runDir, 'metrics.csv'), 'utf8'));
  if (header?.join(',') !== 'timestamp,rank,identifier,step,batch_idx,value') throw new Error(`unexpected metrics.csv header ${header?.join(',')}`);
  const out: Record<string, number> = {};
  for (const r of rows) {
    if (r[2] !== identifier || r[3] === '') continue;
    const label = `rank ${r[1]}`;
    out[label] = (out[label] ?? 0) + 1;
  }
  return out;
}

/** Only the per-rank curves of a chart's data-series (aggregates across ranks left out). */
function rankCounts(series: string | null): Record<string, number> {
  return Object.fromEntries(Object.entries(parseSeries(series)).filter(([label]) => /^rank \d+$/.test(label)));
}

async function noProblems(t: ExecutionContext, problems: Promise<string[]>): Promise<void> {
  t.deepEqual(await problems, [], 'no console errors, page errors or CSP violations');
}

/** Drags across the middle of a chart's plotting area (uPlot's drag-to-zoom). */
async function dragAcross(page: Page, identifier: string, fromFraction: number, toFraction: number): Promise<void> {
  const over = page.locator('.chart', { has: page.locator('.identifier', { hasText: identifier }) }).locator('.u-over');
  const box = await over.boundingBox();
  if (!box) throw new Error(`the chart of ${identifier} has no plotting area`);
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width * fromFraction, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * ((fromFraction + toFraction) / 2), y, { steps: 4 });
  await page.mouse.move(box.x + box.width * toFraction, y, { steps: 4 });
  await page.mouse.up();
}

browserTest(FILE, "the example's run appears in the runs table with its name and status", async (t, s) => {
  const { savedir, runName } = await exampleRun(t);
  const runJson = JSON.parse(readFileSync(join(savedir, runName, 'run.json'), 'utf8')) as { status?: string; world_size?: number };
  t.is(runJson.status, 'finished', 'run.json says the example finished');
  const server = await serve(t, savedir);
  const { page } = s;
  await page.goto(server.url);
  const row = page.locator(`#runs-table tbody tr[data-run-id="0/${runName}"]`);
  await row.waitFor();
  t.is(await row.locator('a.run-link').textContent(), runName);
  t.is(await row.locator('[data-status]').textContent(), 'finished');
  t.is((await row.locator('td').nth(6).textContent())?.trim(), String(runJson.world_size));
  t.regex((await row.locator('td').nth(3).textContent()) ?? '', /^\d+ (s|min) ago$/, 'the last write, a moment ago');
  // The comparison table: the example's hyperparameters as columns, sortable.
  const lr = page.locator('#compare-table th[data-column="param:lr"]');
  await lr.click();
  t.is(await lr.getAttribute('aria-sort'), 'ascending');
  t.is(await page.locator('#compare-table tbody tr[data-run-id]').count(), 1);
  t.is(await page.locator('#runs-table tbody tr[data-run-id]').count(), 1);
  await s.screenshot('example-run-listed');
  await noProblems(t, s.problems());
});

browserTest(FILE, "a chart of the example's run has 4 rank curves with the point counts of its metrics.csv", async (t, s) => {
  const { savedir, runName } = await exampleRun(t);
  const identifier = 'train/loss_batch';
  const expected = csvCounts(join(savedir, runName), identifier);
  t.deepEqual(Object.keys(expected), ['rank 0', 'rank 1', 'rank 2', 'rank 3'], 'the example logs the batch loss on 4 ranks');
  const server = await serve(t, savedir);
  const { page } = s;
  await page.goto(server.url);
  await page.locator('#runs-table a.run-link', { hasText: runName }).click();
  const chart = await waitForChart(page, identifier);
  t.deepEqual(rankCounts(chart.series), expected, 'points drawn per rank = rows per rank in metrics.csv');
  t.deepEqual(chart.legend, ['rank 0', 'rank 1', 'rank 2', 'rank 3'], 'uPlot drew one labelled curve per rank');
  // The epoch-level identifiers get their own charts, with their own counts.
  const epoch = await waitForChart(page, 'train/loss_epoch');
  t.deepEqual(rankCounts(epoch.series), csvCounts(join(savedir, runName), 'train/loss_epoch'));
  // The text item and the artifact of the example, as text and as a download link.
  const summary = page.locator('.text-item[data-identifier="training_summary"] pre.text-content');
  await page.waitForFunction(() => ((globalThis as unknown as PageGlobals).document.querySelector('pre.text-content')?.textContent ?? '') !== '');
  t.regex((await summary.textContent()) ?? '', /final test accuracy/);
  t.regex((await page.locator('#artifacts-table a.download').getAttribute('href')) ?? '', /^\/api\/file\?.*download=1/);
  await s.screenshot('example-run-chart');
  await noProblems(t, s.problems());
});

browserTest(FILE, 'a live run: points flushed while the run view is open appear in its chart', async (t, s) => {
  const savedir = tmpDir(t);
  const logger = new LocalFileLogger({ savedir, logFreq: 'batch', logOnWorkers: -1 });
  await logger.createLoggerContext({ rank: 0, worldSize: 2, runName: 'live', handleSignals: false });
  t.teardown(() => logger.destroyLoggerContext());
  const rank1 = attachLogger(logger.workerHandle(1));
  let step = 0;
  const logSteps = (n: number) => {
    for (const end = step + n; step < end; step++) {
      logger.log(1 / (step + 1), 'live/loss', { step });
      rank1.log(2 / (step + 1), 'live/loss', { step });
    }
  };
  logSteps(5);
  await logger.flush();
  const server = await serve(t, savedir);
  const { page } = s;
  await page.goto(runUrl(server, '0/live'));
  const before = await waitForChart(page, 'live/loss', { series: 'rank 0:5;rank 1:5' });
  await page.locator('[data-live="live"]').waitFor();

  logSteps(7);
  logger.log(0.5, 'live/new_identifier', { step: 3 });
  await logger.flush();
  // The server's file watch sends an update event; the page fetches the series again.
  const after = await waitForChart(page, 'live/loss', { series: 'rank 0:12;rank 1:12' });
  t.true(Number(after.version) > Number(before.version), `version ${before.version} → ${after.version}`);
  // A new identifier gets its chart without a reload (the page fetched /api/run again).
  const added = await waitForChart(page, 'live/new_identifier');
  t.deepEqual(parseSeries(added.series), { 'rank 0': 1 });
  await s.screenshot('live-run');
  await rank1.detach();
  await noProblems(t, s.problems());
});

browserTest(FILE, 'an image shows, and the step slider picks the image of another step', async (t, s) => {
  const savedir = tmpDir(t);
  const logger = new LocalFileLogger({ savedir, logFreq: 'batch', logOnWorkers: -1 });
  await logger.createLoggerContext({ rank: 0, worldSize: 1, runName: 'images', handleSignals: false });
  const pixels = (k: number) => Uint8Array.from({ length: 8 * 6 * 3 }, (_, i) => (i * 37 + k * 91) % 256);
  logger.log({ data: pixels(1), width: 8, height: 6, channels: 3 }, 'samples/grid', { kind: 'image', step: 1 });
  logger.log({ data: pixels(2), width: 8, height: 6, channels: 3 }, 'samples/grid', { kind: 'image', step: 2 });
  logger.log(0.25, 'loss', { step: 1 });
  await logger.destroyLoggerContext();
  const server = await serve(t, savedir);
  const { page } = s;
  await page.goto(runUrl(server, '0/images'));
  const media = page.locator('.media[data-identifier="samples/grid"]');
  const img = media.locator('img.media-image');
  await img.waitFor();
  // The newest step is shown first.
  await page.waitForFunction(() => {
    const i = (globalThis as unknown as PageGlobals).document.querySelector('.media img.media-image');
    return i !== null && i.complete === true && (i.naturalWidth ?? 0) > 0 && /step2/.test(i.getAttribute('data-path') ?? '');
  });
  t.is(await img.evaluate((e) => (e as unknown as PageElement).naturalWidth), 8);
  t.regex((await img.getAttribute('src')) ?? '', /^\/api\/file\?run=0%2Fimages&path=images%2Fsamples%2Fgrid%2Frank0-step2\.png$/);
  await media.locator('input.step-slider').fill('0');
  await page.waitForFunction(() => {
    const i = (globalThis as unknown as PageGlobals).document.querySelector('.media img.media-image');
    return i !== null && i.complete === true && (i.naturalWidth ?? 0) > 0 && /step1/.test(i.getAttribute('data-path') ?? '');
  });
  t.regex((await media.locator('.step-label').textContent()) ?? '', /step 1/);
  await s.screenshot('image-step-slider');
  await noProblems(t, s.problems());
});

browserTest(FILE, 'an identifier, text, param, tag and note like <img src=x onerror=…> render as text and run no script', async (t, s) => {
  const savedir = tmpDir(t);
  const logger = new LocalFileLogger({ savedir, logFreq: 'batch', logOnWorkers: -1 });
  await logger.createLoggerContext({ rank: 0, worldSize: 1, runName: 'hostile', handleSignals: false, tags: [MALICIOUS], notes: MALICIOUS });
  logger.log(1, MALICIOUS, { step: 0 });
  logger.log(2, MALICIOUS, { step: 1 });
  logger.log(MALICIOUS, MALICIOUS, { kind: 'text' });
  logger.log({ [MALICIOUS]: MALICIOUS }, 'evil/dict', { kind: 'dict' });
  logger.saveHyperparameters({ [MALICIOUS]: MALICIOUS });
  await logger.destroyLoggerContext();
  const server = await serve(t, savedir);
  const { page } = s;
  const pwned = () => page.evaluate(() => (globalThis as unknown as PageGlobals).__pwned);
  const injectedImages = () =>
    page.evaluate(() => [...(globalThis as unknown as PageGlobals).document.querySelectorAll('img')].filter((i) => i.getAttribute('src') === 'x').length);

  await page.goto(server.url);
  const row = page.locator('#runs-table tbody tr[data-run-id="0/hostile"]');
  await row.waitFor();
  t.true(((await row.textContent()) ?? '').includes(MALICIOUS), 'tag and notes shown as text in the runs table');
  t.true(((await page.locator('#compare-table').textContent()) ?? '').includes(MALICIOUS), 'param name and value shown as text');

  await page.goto(runUrl(server, '0/hostile'));
  const chart = await waitForChart(page, MALICIOUS);
  t.deepEqual(parseSeries(chart.series), { 'rank 0': 2 });
  const caption = page.locator('.chart .identifier').filter({ hasText: MALICIOUS });
  t.is(await caption.textContent(), MALICIOUS, 'the identifier is the literal text of the chart title');
  await page.waitForFunction(
    (m) => [...(globalThis as unknown as PageGlobals).document.querySelectorAll('pre.text-content')].some((p) => p.textContent === m),
    MALICIOUS,
  );
  await page.waitForFunction(
    (m) =>
      [...(globalThis as unknown as PageGlobals).document.querySelectorAll('pre.text-content')].some((p) => (p.textContent ?? '').includes(JSON.stringify(m))),
    MALICIOUS,
  );
  t.true(((await page.locator('#params-table').textContent()) ?? '').includes(MALICIOUS));
  t.true(((await page.locator('.run-header').textContent()) ?? '').includes(MALICIOUS), 'tag and notes in the run header');
  t.is(await injectedImages(), 0, 'no <img src=x> was created');
  t.is(await pwned(), undefined, 'no script ran');
  await s.screenshot('hostile-strings-as-text');
  t.deepEqual(await s.cspViolations(), [], 'no CSP violation (nothing inline was even attempted)');
  await noProblems(t, s.problems());
});

browserTest(FILE, 'x axis, log scale, smoothing and zoom keep the curves and their point counts', async (t, s) => {
  const savedir = tmpDir(t);
  const logger = new LocalFileLogger({ savedir, logFreq: 'batch', logOnWorkers: -1 });
  await logger.createLoggerContext({ rank: 0, worldSize: 2, runName: 'controls', handleSignals: false });
  const rank1 = attachLogger(logger.workerHandle(1));
  const N = 60;
  for (let step = 0; step < N; step++) {
    logger.log(Math.exp(-step / 20) + 0.01, 'ctl/loss', { step, batchIdx: step % 10 });
    rank1.log(Math.exp(-step / 25) + 0.02, 'ctl/loss', { step, batchIdx: step % 10 });
  }
  await rank1.detach();
  await logger.destroyLoggerContext();
  const full = `rank 0:${N};rank 1:${N}`;
  const server = await serve(t, savedir);
  const { page } = s;
  await page.goto(runUrl(server, '0/controls'));
  await waitForChart(page, 'ctl/loss', { series: full, x: 'step' });

  for (const x of ['time', 'batch', 'step']) {
    await page.selectOption('#x-axis', x);
    const c = await waitForChart(page, 'ctl/loss', { x });
    t.is(c.series, full, `x = ${x}: the same points`);
    t.deepEqual(c.legend, ['rank 0', 'rank 1']);
  }

  await page.locator('#log-y').check();
  t.deepEqual((await waitForChart(page, 'ctl/loss', { series: full })).legend, ['rank 0', 'rank 1'], 'log scale');
  await page.locator('#smoothing').fill('0.9');
  const smoothed = await waitForChart(page, 'ctl/loss', { series: full });
  t.deepEqual(smoothed.legend, ['rank 0', 'rank 1'], 'smoothing: the raw curves are drawn faded, out of the legend');

  // Drag-select zooms: the window is fetched again with from/to; every step inside it is drawn.
  await dragAcross(page, 'ctl/loss', 0.25, 0.6);
  const zoomed = await waitForChart(page, 'ctl/loss', { zoomed: true });
  const [from, to] = (zoomed.zoom ?? '').split(':').map(Number) as [number, number];
  t.true(from > 0 && to < N - 1 && from < to, `zoomed to ${zoomed.zoom}`);
  const inWindow = Array.from({ length: N }, (_, i) => i).filter((i) => i >= from && i <= to).length;
  t.is(zoomed.series, `rank 0:${inWindow};rank 1:${inWindow}`, 'every point of the window');
  await s.screenshot('controls-zoomed');
  await page.locator('.chart .u-over').first().dblclick();
  t.is((await waitForChart(page, 'ctl/loss', { zoomed: false })).series, full, 'double-click: the whole range again');
  await s.screenshot('controls');
  await noProblems(t, s.problems());
});
