/**
 * Figures rendered to PNG in the encoder pool (@ranklog/figures' figure-task.ts through core's png-pool.ts), and
 * the local sink writing every figure as PNG with its source beside it. Pixels are checked
 * with the independent decoder in support/png-decode.ts, not with resvg or fast-png.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FigureItem, LogRecord, Sink, SinkEnv } from '@ranklog/core/sink';
import { LocalFileLogger, LoggersCollection } from '@ranklog/core';
import createLocalSink from '../../packages/core/dist/backends/local/local-sink.js';
import { createPngEncoder, type PngEncoder } from '../../packages/core/dist/encode/png-pool.js';
import { decodePng, type DecodedImage } from './support/png-decode.js';
import { listFiles } from './support/list-files.js';
import { TEST_TIMEOUT_MS } from './support/wait-for.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
/** 40×30, no background of its own (the white comes from the renderer), a red 20×10 rectangle at (10, 5). */
const RED_RECT_SVG = `<svg xmlns="${SVG_NS}" width="40" height="30"><rect x="10" y="5" width="20" height="10" fill="#ff0000"/></svg>`;

/** vega's default bar colour, #4c78a8. */
const BAR_BLUE = [0x4c, 0x78, 0xa8];

/** Two bars, 10 and 40, on a 0..40 scale: the second bar is four times as tall as the first. */
const BAR_SPEC = {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  width: 120,
  height: 80,
  data: {
    values: [
      { a: 'A', b: 10 },
      { a: 'B', b: 40 },
    ],
  },
  mark: 'bar',
  encoding: {
    x: { field: 'a', type: 'nominal', title: 'Category' },
    y: { field: 'b', type: 'quantitative', title: 'Value', scale: { domain: [0, 40], nice: false } },
  },
};

function rgba(img: DecodedImage, x: number, y: number): number[] {
  const c = img.channels;
  const i = (y * img.width + x) * c;
  const px = Array.from(img.data.subarray(i, i + c));
  if (c === 1) return [px[0]!, px[0]!, px[0]!, 255];
  if (c === 2) return [px[0]!, px[0]!, px[0]!, px[1]!];
  if (c === 3) return [...px, 255];
  return px;
}

const near = (a: number[], b: number[], tol = 2) => a.length >= b.length && b.every((v, i) => Math.abs(a[i]! - v) <= tol);

function encoder(t: { teardown(fn: () => Promise<void>): void }): PngEncoder {
  const e = createPngEncoder();
  t.teardown(() => e.close());
  return e;
}

/** A small PNG made without the code under test: 3×2 grey, filter 0, stored with node:zlib. */
async function handMadePng(): Promise<Uint8Array> {
  const { deflateSync } = await import('node:zlib');
  const { crc32 } = await import('./support/png-decode.js');
  const chunk = (type: string, data: Uint8Array) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    out.set(data, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(3, 0);
  ihdr.writeUInt32BE(2, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const raw = Buffer.from([0, 10, 20, 30, 0, 40, 50, 60]);
  return new Uint8Array(
    Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]),
  );
}

// ---------------------------------------------------------------------------------------
// the pool task

test("SVG → PNG at the SVG's own size, 1:1: red inside the rectangle, white outside", async (t) => {
  const png = await encoder(t).renderFigure({ format: 'svg', svg: RED_RECT_SVG });
  const img = decodePng(png);
  t.deepEqual([img.width, img.height], [40, 30]);
  let wrong = 0;
  for (let y = 0; y < 30; y++) {
    for (let x = 0; x < 40; x++) {
      const inside = x >= 10 && x < 30 && y >= 5 && y < 15;
      const want = inside ? [255, 0, 0, 255] : [255, 255, 255, 255];
      if (!near(rgba(img, x, y), want, 0)) {
        if (wrong++ < 3) t.log(`pixel (${x}, ${y}) is ${rgba(img, x, y)}, expected ${want}`);
      }
    }
  }
  t.is(wrong, 0, 'every pixel is exactly red or white');
});

test('SVG without xmlns (as browsers accept it) and sized by its viewBox only still renders', async (t) => {
  const e = encoder(t);
  const noNs = decodePng(await e.renderFigure({ format: 'svg', svg: '<svg width="8" height="6"><rect width="4" height="6" fill="blue"/></svg>' }));
  t.deepEqual([noNs.width, noNs.height], [8, 6]);
  t.true(near(rgba(noNs, 1, 1), [0, 0, 255, 255], 0));
  t.true(near(rgba(noNs, 6, 1), [255, 255, 255, 255], 0));
  const vb = decodePng(
    await e.renderFigure({ format: 'svg', svg: `<svg xmlns="${SVG_NS}" viewBox="0 0 24 12"><rect width="12" height="12" fill="#00ff00"/></svg>` }),
  );
  t.deepEqual([vb.width, vb.height], [24, 12]);
  t.true(near(rgba(vb, 2, 2), [0, 255, 0, 255], 0));
  t.true(near(rgba(vb, 20, 2), [255, 255, 255, 255], 0));
});

test('text in an SVG is drawn (a font is available without system fonts)', async (t) => {
  const svg = `<svg xmlns="${SVG_NS}" width="120" height="40"><text x="4" y="30" font-family="sans-serif" font-size="28" fill="black">Loss</text></svg>`;
  const img = decodePng(await encoder(t).renderFigure({ format: 'svg', svg }));
  let dark = 0;
  for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) if (rgba(img, x, y)[0]! < 100) dark++;
  t.true(dark > 150, `${dark} dark pixels: the glyphs were drawn`);
});

test("Vega-Lite bar chart → PNG: plausible size, bars in vega's blue with heights 1:4, axis text drawn", async (t) => {
  const started = performance.now();
  const png = await encoder(t).renderFigure({ format: 'vega-lite', spec: BAR_SPEC });
  t.log(`rendered in ${(performance.now() - started).toFixed(0)} ms (pool start and vega import included)`);
  const img = decodePng(png);
  // 120×80 plot area plus axes, labels and titles.
  t.true(img.width > 120 && img.width < 260, `width ${img.width}`);
  t.true(img.height > 80 && img.height < 200, `height ${img.height}`);
  // Blue pixels per column; the bars are the two runs of blue columns.
  const blueHeight: number[] = [];
  let dark = 0;
  for (let x = 0; x < img.width; x++) {
    let n = 0;
    for (let y = 0; y < img.height; y++) {
      const p = rgba(img, x, y);
      if (near(p, BAR_BLUE, 3)) n++;
      if (p[0]! < 80 && p[1]! < 80 && p[2]! < 80) dark++;
    }
    blueHeight.push(n);
  }
  const runs: number[] = [];
  for (let x = 0; x < blueHeight.length; x++) {
    if (blueHeight[x]! > 0 && (x === 0 || blueHeight[x - 1] === 0)) runs.push(0);
    if (blueHeight[x]! > 0) runs[runs.length - 1] = Math.max(runs[runs.length - 1]!, blueHeight[x]!);
  }
  t.is(runs.length, 2, `two bars, got blue runs ${JSON.stringify(runs)}`);
  t.true(Math.abs(runs[1]! - 80) <= 1, `the 40 bar spans the 80 px plot: ${runs[1]}`);
  t.true(Math.abs(runs[0]! - 20) <= 1, `the 10 bar is a quarter of it: ${runs[0]}`);
  // Labels (A, B, 0…40) and titles are black text: without a font none of these exist.
  t.true(dark > 100, `${dark} near-black pixels of axis text`);
});

test('PNG bytes pass through byte-identical', async (t) => {
  const png = await handMadePng();
  const out = await encoder(t).renderFigure({ format: 'png', data: png });
  t.deepEqual(Buffer.from(out), Buffer.from(png));
});

test('invalid figures reject with a message that names the problem', async (t) => {
  const e = encoder(t);
  await t.throwsAsync(e.renderFigure({ format: 'vega-lite', spec: { ...BAR_SPEC, mark: 'barr' } }), {
    message: /invalid Vega-Lite spec: spec\.mark "barr" is not a Vega-Lite mark \(one of .*\bbar\b/,
  });
  await t.throwsAsync(
    e.renderFigure({ format: 'vega-lite', spec: { layer: [{ mark: 'line' }, { mark: 'bar', encoding: { y: { field: 'b', type: 'numbers' } } }] } }),
    { message: /spec\.layer\[1\]\.encoding\.y\.type "numbers" is not a Vega-Lite field type/ },
  );
  await t.throwsAsync(e.renderFigure({ format: 'vega-lite', spec: { data: { values: [] } } }), { message: /invalid Vega-Lite spec: .*"mark"/ });
  await t.throwsAsync(e.renderFigure({ format: 'vega-lite', spec: { ...BAR_SPEC, data: { url: 'https://example.com/rows.json' } } }), {
    message: /data could not be loaded: .*not fetched: figures are rendered offline; put the rows in data\.values/,
  });
  await t.throwsAsync(e.renderFigure({ format: 'svg', svg: '<svg xmlns="http://www.w3.org/2000/svg"><rect' }), { message: /the SVG could not be parsed/ });
  await t.throwsAsync(e.renderFigure({ format: 'svg', svg: `<svg xmlns="${SVG_NS}" width="100000" height="100000"/>` }), {
    message: /100000×100000 px; figures are rendered up to/,
  });
  // The pool survives all of that.
  t.deepEqual(decodePng(await e.renderFigure({ format: 'svg', svg: RED_RECT_SVG })).width, 40);
});

test('a Vega-Lite spec that renders with warnings reports them through onWarning', async (t) => {
  const warnings: string[] = [];
  const spec = { ...BAR_SPEC, encoding: { ...BAR_SPEC.encoding, y: { field: 'b', type: 'quantitative', aggregate: 'frobnicate' } } };
  const png = await encoder(t).renderFigure({ format: 'vega-lite', spec }, (w) => warnings.push(w));
  t.true(decodePng(png).width > 0);
  t.true(
    warnings.some((w) => /Invalid aggregation operator "frobnicate"/.test(w)),
    JSON.stringify(warnings),
  );
});

test('renderFigure after close() rejects', async (t) => {
  const e = createPngEncoder();
  await e.close();
  await t.throwsAsync(e.renderFigure({ format: 'svg', svg: RED_RECT_SVG }), { message: /closed/ });
});

test('modules that run without figures do not import resvg, vega or the figure task', (t) => {
  // The lazy-loading promise: png-pool and png-task load in every run with images, the writer thread in every run.
  const dist = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../packages/core/dist');
  const staticImports = (file: string) =>
    [...fs.readFileSync(path.join(dist, file), 'utf8').matchAll(/^\s*import\s[^;]*?from\s*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
  for (const file of ['encode/png-pool.js', 'encode/png-task.js', 'writer/writer-thread.js', 'backends/local/local-sink.js']) {
    const bad = staticImports(file).filter((s) => /vega|resvg|figure-task/.test(s));
    t.deepEqual(bad, [], `${file} imports ${bad.join(', ')} statically`);
  }
  const figures = path.resolve(dist, '../../figures/dist');
  const fig = [...fs.readFileSync(path.join(figures, 'figure-task.js'), 'utf8').matchAll(/^\s*import\s[^;]*?from\s*['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
  t.false(
    fig.some((s) => /^vega/.test(s)),
    'vega is imported by figure-task only on the first Vega-Lite figure',
  );
});

// ---------------------------------------------------------------------------------------
// the local sink

const T0 = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
type Rec = Partial<Omit<LogRecord, 'kind'>> & { kind: LogRecord['kind'] };

async function openSink(t: { teardown(fn: () => void | Promise<void>): void }, env: Partial<SinkEnv> = {}) {
  const savedir = fs.mkdtempSync(path.join(os.tmpdir(), 'ranklog-figure-'));
  t.teardown(() => fs.rmSync(savedir, { recursive: true, force: true }));
  const warnings: string[] = [];
  const e: SinkEnv = {
    runName: 'run',
    coordinatorRank: 0,
    worldSize: 1,
    encodePng: () => Promise.reject(new Error('unused')),
    warn: (m) => warnings.push(m),
    debug: () => {},
    ...env,
  };
  const sink = await createLocalSink({ savedir }, e);
  const dir = path.join(savedir, 'run', 'figures');
  return { sink, dir, warnings };
}

/** One reused record object, as the drain loop does. */
async function feed(sink: Sink, recs: Rec[]): Promise<void> {
  const shared: Record<string, unknown> = {};
  for (const r of recs) {
    Object.assign(shared, { rank: 0, identifier: 'x', step: undefined, batchIdx: undefined, timeMs: T0, value: NaN, item: undefined }, r);
    await sink.write(shared as unknown as LogRecord);
  }
  for (const k of Object.keys(shared)) shared[k] = 'garbage';
}

test('local sink: every figure as PNG, SVG / Vega-Lite sources kept beside it under the same name', async (t) => {
  const enc = encoder(t);
  const { sink, dir, warnings } = await openSink(t, { renderFigure: (item, onWarning) => enc.renderFigure(item, onWarning) });
  const png = await handMadePng();
  const fig = (item: FigureItem, step = 3): Rec => ({ kind: 'figure', identifier: 'plots/f', step, item });
  await feed(sink, [
    fig({ format: 'png', data: png }),
    fig({ format: 'svg', svg: RED_RECT_SVG }),
    fig({ format: 'vega-lite', spec: BAR_SPEC }),
    fig({ format: 'svg', svg: RED_RECT_SVG }, 4),
  ]);
  await sink.commit();
  // A later batch with the same stem takes the next free name for all of its files.
  await feed(sink, [fig({ format: 'vega-lite', spec: BAR_SPEC })]);
  await sink.close('finished');

  t.deepEqual(listFiles(dir), [
    'plots/f/rank0-step3-1.png',
    'plots/f/rank0-step3-1.svg',
    'plots/f/rank0-step3-2.png',
    'plots/f/rank0-step3-2.vl.json',
    'plots/f/rank0-step3-3.png',
    'plots/f/rank0-step3-3.vl.json',
    'plots/f/rank0-step3.png',
    'plots/f/rank0-step4.png',
    'plots/f/rank0-step4.svg',
  ]);
  const file = (p: string) => fs.readFileSync(path.join(dir, 'plots/f', p));
  t.deepEqual(file('rank0-step3.png'), Buffer.from(png), 'PNG figure written byte-identical');
  t.is(file('rank0-step3-1.svg').toString(), RED_RECT_SVG);
  const red = decodePng(file('rank0-step3-1.png'));
  t.deepEqual([red.width, red.height], [40, 30]);
  t.true(near(rgba(red, 20, 10), [255, 0, 0, 255], 0) && near(rgba(red, 2, 2), [255, 255, 255, 255], 0));
  t.deepEqual(JSON.parse(file('rank0-step3-2.vl.json').toString()), BAR_SPEC);
  const bars = decodePng(file('rank0-step3-2.png'));
  t.true(bars.width > 120 && bars.height > 80);
  t.deepEqual(file('rank0-step3-3.png'), file('rank0-step3-2.png'), 'the same spec renders the same pixels');
  t.deepEqual(warnings, []);
  t.like(sink.stats!(), { files: 9, errors: 0 });
});

test('local sink: an invalid Vega-Lite spec is a warning naming the problem; its source is kept, the rest is written', async (t) => {
  const enc = encoder(t);
  const { sink, dir, warnings } = await openSink(t, { renderFigure: (item, onWarning) => enc.renderFigure(item, onWarning) });
  const bad = { ...BAR_SPEC, mark: 'histogram' };
  await feed(sink, [
    { kind: 'figure', identifier: 'bad', step: 1, item: { format: 'vega-lite', spec: bad } },
    { kind: 'figure', identifier: 'bad', step: 1, item: { format: 'svg', svg: RED_RECT_SVG } },
    { kind: 'figure', identifier: 'broken-svg', item: { format: 'svg', svg: '<svg xmlns="http://www.w3.org/2000/svg"><g>' } },
    { kind: 'metric', identifier: 'loss', value: 1 },
  ]);
  await sink.commit();
  await feed(sink, [{ kind: 'figure', identifier: 'good', item: { format: 'svg', svg: RED_RECT_SVG } }]);
  await sink.close('finished');

  t.deepEqual(listFiles(dir), [
    'bad/rank0-step1-1.png',
    'bad/rank0-step1-1.svg',
    'bad/rank0-step1.vl.json',
    'broken-svg/rank0.svg',
    'good/rank0.png',
    'good/rank0.svg',
  ]);
  t.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'bad/rank0-step1.vl.json'), 'utf8')), bad);
  t.is(warnings.length, 2, warnings.join('\n'));
  t.regex(
    warnings[0]!,
    /figure 'bad' \(rank0-step1\) could not be rendered to PNG: .*spec\.mark "histogram" is not a Vega-Lite mark.*; its Vega-Lite source is kept as rank0-step1\.vl\.json/,
  );
  t.regex(warnings[1]!, /figure 'broken-svg' \(rank0\) could not be rendered to PNG: the SVG could not be parsed.*; its SVG source is kept as rank0\.svg/);
  t.like(sink.stats!(), { errors: 2, metrics: 1 });
  t.true(fs.readFileSync(path.join(dir, '..', 'metrics.csv'), 'utf8').includes(',loss,'));
});

test('local sink: vega warnings for a figure logged every step are reported once', async (t) => {
  const enc = encoder(t);
  const { sink, dir, warnings } = await openSink(t, { renderFigure: (item, onWarning) => enc.renderFigure(item, onWarning) });
  const spec = { ...BAR_SPEC, encoding: { ...BAR_SPEC.encoding, y: { field: 'b', type: 'quantitative', aggregate: 'frobnicate' } } };
  await feed(
    sink,
    [0, 1, 2].map((step) => ({ kind: 'figure' as const, identifier: 'w', step, item: { format: 'vega-lite' as const, spec } })),
  );
  await sink.close('finished');
  t.is(listFiles(dir).filter((f) => f.endsWith('.png')).length, 3);
  t.is(warnings.length, 1, warnings.join('\n'));
  t.regex(warnings[0]!, /figure 'w': .*Invalid aggregation operator "frobnicate"/);
});

test("end to end: figures logged through LoggersCollection are rendered in the writer thread's pool", async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const savedir = fs.mkdtempSync(path.join(os.tmpdir(), 'ranklog-figure-e2e-'));
  t.teardown(() => fs.rmSync(savedir, { recursive: true, force: true }));
  const local = new LocalFileLogger({ savedir, logFreq: 'batch' });
  const logger = new LoggersCollection([local]);
  await logger.createLoggerContext({ rank: 0, runName: 'e2e' });
  logger.log(RED_RECT_SVG, 'svg-fig', { kind: 'figure', step: 1 });
  logger.log(BAR_SPEC, 'vl-fig', { kind: 'figure', step: 2 });
  await logger.destroyLoggerContext();
  const dir = path.join(savedir, 'e2e', 'figures');
  t.deepEqual(listFiles(dir), ['svg-fig/rank0-step1.png', 'svg-fig/rank0-step1.svg', 'vl-fig/rank0-step2.png', 'vl-fig/rank0-step2.vl.json']);
  const red = decodePng(fs.readFileSync(path.join(dir, 'svg-fig/rank0-step1.png')));
  t.deepEqual([red.width, red.height], [40, 30]);
  t.true(near(rgba(red, 15, 8), [255, 0, 0, 255], 0));
  t.true(decodePng(fs.readFileSync(path.join(dir, 'vl-fig/rank0-step2.png'))).width > 120);
});
