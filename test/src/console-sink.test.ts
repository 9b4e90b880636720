/**
 * The console sink, driven directly with hand-made records and pointed at a temp file
 * through the `fd` option: plain lines when not a TTY; a progress line rewritten in
 * place (checked with a tiny terminal model) and permanent epoch lines on a TTY.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LogRecord, Sink } from '@ranklog/core/sink';
import createConsoleSink, { formatNumber, type ConsoleSinkOptions } from '../../packages/core/dist/backends/console/console-sink.js';

type Rec = Partial<Omit<LogRecord, 'kind'>> & { kind: LogRecord['kind'] };

const env = {
  runName: 'r',
  coordinatorRank: 0,
  worldSize: 1,
  encodePng: () => Promise.reject(new Error('unused')),
  warn: () => {},
  debug: () => {},
};

async function open(t: { teardown(fn: () => void): void }, options: Omit<ConsoleSinkOptions, 'fd'>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ranklog-console-'));
  const file = path.join(dir, 'out.txt');
  const fd = fs.openSync(file, 'w');
  t.teardown(() => {
    fs.closeSync(fd);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const sink: Sink = await createConsoleSink({ ...options, fd }, env);
  return { sink, output: () => fs.readFileSync(file, 'utf8') };
}

/** Feed records through one mutable object, as the drain loop does. */
function feed(sink: Sink, recs: Rec[]): void {
  const shared: Record<string, unknown> = {};
  for (const r of recs) {
    Object.assign(shared, { rank: 0, identifier: 'x', step: undefined, batchIdx: undefined, timeMs: 0, value: NaN, item: undefined }, r);
    if (r.kind === 'metric') shared.item = shared.value;
    void sink.write(shared as unknown as LogRecord);
  }
}

/** What a terminal shows after `text`: \r returns to column 0, ESC[K clears to the end of the line, \n starts a new line. */
function screen(text: string): string[] {
  const lines: string[] = [''];
  let col = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const row = lines.length - 1;
    if (c === '\r') col = 0;
    else if (c === '\n') {
      lines.push('');
      col = 0;
    } else if (c === '\x1b' && text.startsWith('\x1b[K', i)) {
      lines[row] = lines[row]!.slice(0, col);
      i += 2;
    } else {
      lines[row] = lines[row]!.slice(0, col) + c + lines[row]!.slice(col + 1);
      col++;
    }
  }
  return lines;
}

test('formatNumber: compact, 5 significant digits, NaN/inf spelled out', (t) => {
  const cases: Array<[number, string]> = [
    [0.2345, '0.2345'],
    [0.1, '0.1'],
    [1 / 3, '0.33333'],
    [12345.678, '12346'],
    [99999.9, '1e+5'],
    [1e-7, '1e-7'],
    [123456789.5, '1.235e+8'],
    [3, '3'],
    [-0.5, '-0.5'],
    [1e20, '1e+20'],
    [-42, '-42'],
    [0.00012345678, '0.00012346'],
    [NaN, 'NaN'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
  ];
  for (const [v, s] of cases) t.is(formatNumber(v), s, String(v));
});

test('not a TTY: one readable line per record, written at commit', async (t) => {
  const { sink, output } = await open(t, { isTTY: false, columns: 0 });
  const big = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`key${i}`, i]));
  feed(sink, [
    { kind: 'metric', identifier: 'train_loss', step: 12, batchIdx: 3, value: 0.2345 },
    { kind: 'metric', identifier: 'val_acc', rank: 1, step: 2, value: 0.912345678 },
    { kind: 'metric', identifier: 'weird', value: NaN },
    { kind: 'metric', identifier: 'weird', value: -Infinity },
    { kind: 'param', identifier: 'lr', item: 0.001 },
    { kind: 'param', identifier: 'opt', item: 'adam' },
    { kind: 'param', identifier: 'none', item: null },
    { kind: 'param', identifier: 'flag', item: true },
  ]);
  t.is(output(), '', 'nothing is written before commit');
  sink.commit();
  feed(sink, [
    { kind: 'text', identifier: 'notes', step: 1, item: 'hello\nworld' },
    { kind: 'text', identifier: 'esc', item: 'red \x1b[31mtext\tend' },
    { kind: 'dict', identifier: 'cfg', item: { a: 1, b: 'x' } },
    { kind: 'dict', identifier: 'big', item: big },
    { kind: 'image', identifier: 'sample', step: 5, item: { format: 'raw', width: 8, height: 6, channels: 3, dtype: 'uint8', data: new Uint8Array(144) } },
    { kind: 'image', identifier: 'shot', item: { format: 'png', data: new Uint8Array(2048) } },
    { kind: 'figure', identifier: 'f1', item: { format: 'svg', svg: '<svg/>' } },
    { kind: 'figure', identifier: 'f2', item: { format: 'vega-lite', spec: { mark: { type: 'bar' } } } },
    { kind: 'artifact', identifier: 'ckpt', item: { path: '/data/ckpt', isDirectory: true } },
    { kind: 'model', identifier: 'net', item: { path: '/data/net.pt', isDirectory: false } },
    { kind: 'histogram', identifier: 'w', step: 7, item: new Float64Array([1, 2, 3, NaN]) },
    { kind: 'dataset', identifier: 'train', item: { name: 'mnist', digest: 'abc', source: 's3://b/k' } },
  ]);
  sink.commit();
  sink.close('finished');
  const lines = output().split('\n');
  t.is(lines.pop(), '', 'ends with a newline');
  const bigLine = lines.splice(11, 1)[0]!;
  t.deepEqual(lines, [
    '[ranklog] rank 0 step 12 batch 3  train_loss = 0.2345',
    '[ranklog] rank 1 step 2  val_acc = 0.91235',
    '[ranklog] rank 0  weird = NaN',
    '[ranklog] rank 0  weird = -inf',
    '[ranklog] rank 0  lr = 0.001',
    '[ranklog] rank 0  opt = "adam"',
    '[ranklog] rank 0  none = null',
    '[ranklog] rank 0  flag = true',
    '[ranklog] rank 0 step 1  text notes: hello…',
    '[ranklog] rank 0  text esc: red \ufffd[31mtext end',
    '[ranklog] rank 0  dict cfg {"a":1,"b":"x"}',
    '[ranklog] rank 0 step 5  image sample 8×6×3 uint8',
    '[ranklog] rank 0  image shot PNG 2 kB',
    '[ranklog] rank 0  figure f1 SVG 6 B',
    '[ranklog] rank 0  figure f2 Vega-Lite (bar)',
    '[ranklog] rank 0  artifact ckpt /data/ckpt (directory)',
    '[ranklog] rank 0  model net /data/net.pt',
    '[ranklog] rank 0 step 7  histogram w n=4 min=1 max=3 mean=2',
    '[ranklog] rank 0  dataset train mnist digest=abc source=s3://b/k',
  ]);
  t.is(bigLine.length, 200);
  t.true(bigLine.startsWith('[ranklog] rank 0  dict big {"key0":0,"key1":1,'));
  t.true(bigLine.endsWith('…'));
  t.false(output().includes('\r'), 'no carriage returns when not a TTY');
  t.like(sink.stats!(), { lines: 20, bytes: Buffer.byteLength(output()) });
});

test('TTY: batch metrics rewrite one progress line; epoch records print permanent lines above it', async (t) => {
  const { sink, output } = await open(t, { isTTY: true, columns: 100, redrawIntervalMs: 0 });
  feed(sink, [{ kind: 'metric', identifier: 'loss', step: 0, batchIdx: 0, value: 0.5 }]);
  sink.commit();
  t.is(output(), '\r[ranklog] epoch 1 · batch 0 · step 0 · loss=0.5\x1b[K');
  feed(sink, [
    { kind: 'metric', identifier: 'loss', step: 1, batchIdx: 1, value: 0.4 },
    { kind: 'metric', identifier: 'acc', step: 1, batchIdx: 1, value: 0.8 },
  ]);
  sink.commit();
  t.deepEqual(screen(output()), ['[ranklog] epoch 1 · batch 1 · step 1 · loss=0.4 acc=0.8']);
  feed(sink, [{ kind: 'metric', identifier: 'val_loss', step: 0, value: 0.3 }]);
  sink.commit();
  t.deepEqual(screen(output()), ['[ranklog] rank 0 step 0  val_loss = 0.3', '[ranklog] epoch 1 · batch 1 · step 1 · loss=0.4 acc=0.8']);
  // batchIdx going back means a new epoch.
  feed(sink, [{ kind: 'metric', identifier: 'loss', step: 2, batchIdx: 0, value: 0.35 }]);
  sink.commit();
  sink.commit(); // nothing new: nothing written
  const before = output();
  feed(sink, [{ kind: 'param', identifier: 'lr', item: 0.01 }]);
  sink.close('finished');
  t.true(before.endsWith('\r[ranklog] epoch 2 · batch 0 · step 2 · loss=0.35 acc=0.8\x1b[K'));
  t.deepEqual(screen(output()), [
    '[ranklog] rank 0 step 0  val_loss = 0.3',
    '[ranklog] rank 0  lr = 0.01',
    '[ranklog] epoch 2 · batch 0 · step 2 · loss=0.35 acc=0.8',
    '',
  ]);
  t.true(output().endsWith('\x1b[K\n'), 'close ends the open progress line with a newline');
  t.is(output().split('\r[ranklog] epoch').length - 1, 5, 'one progress redraw per commit that changed it, plus after permanent lines');
});

test('TTY with totalEpochs and batchesPerEpoch: a bar, kept within the terminal width', async (t) => {
  const { sink, output } = await open(t, { isTTY: true, columns: 80, totalEpochs: 2, batchesPerEpoch: 4, redrawIntervalMs: 0 });
  const frames: string[] = [];
  let seen = 0;
  const step = (recs: Rec[]) => {
    feed(sink, recs);
    sink.commit();
    frames.push(output().slice(seen));
    seen = output().length;
  };
  step([{ kind: 'metric', identifier: 'loss', step: 1, batchIdx: 1, value: 0.4 }]);
  step([{ kind: 'metric', identifier: 'loss', step: 3, batchIdx: 3, value: 0.3 }]);
  step([{ kind: 'metric', identifier: 'loss', step: 4, batchIdx: 0, value: 0.2 }]);
  step([
    { kind: 'metric', identifier: 'loss', step: 7, batchIdx: 3, value: 0.1 },
    { kind: 'metric', identifier: 'a_long_metric_name_that_does_not_fit', step: 7, batchIdx: 3, value: 1 },
  ]);
  sink.close('finished');
  const bar = (n: number) => '█'.repeat(n) + '░'.repeat(20 - n);
  t.is(frames[0], `\r[ranklog] epoch 1/2 ${bar(5)} 25% · batch 2/4 · step 1 · loss=0.4\x1b[K`);
  t.is(frames[1], `\r[ranklog] epoch 1/2 ${bar(10)} 50% · batch 4/4 · step 3 · loss=0.3\x1b[K`);
  t.is(frames[2], `\r[ranklog] epoch 2/2 ${bar(13)} 62% · batch 1/4 · step 4 · loss=0.2\x1b[K`);
  // Cut to 79 columns: a line that fills the last column wraps and breaks the \r rewrite.
  t.is(frames[3], `\r[ranklog] epoch 2/2 ${bar(20)} 100% · batch 4/4 · step 7 · loss=0.1 …\x1b[K`);
  for (const f of frames) t.true(f.length - '\r'.length - '\x1b[K'.length <= 79, `fits in 79 columns: ${JSON.stringify(f)}`);
  t.deepEqual(screen(output()).length, 2);
});

test('TTY: redraws are throttled to redrawIntervalMs, and close shows the final state', async (t) => {
  const { sink, output } = await open(t, { isTTY: true, columns: 80, redrawIntervalMs: 60_000 });
  for (let b = 0; b < 50; b++) {
    feed(sink, [{ kind: 'metric', identifier: 'loss', batchIdx: b, value: b }]);
    sink.commit();
  }
  t.is(output(), '\r[ranklog] epoch 1 · batch 0 · loss=0\x1b[K', 'only the first of 50 quick commits drew');
  sink.close('finished');
  t.deepEqual(screen(output()), ['[ranklog] epoch 1 · batch 49 · loss=49', '']);
});

test('TTY with several ranks: the progress line follows the lowest rank and says which', async (t) => {
  const { sink, output } = await open(t, { isTTY: true, columns: 80, redrawIntervalMs: 0 });
  feed(sink, [
    { kind: 'metric', identifier: 'loss', rank: 2, batchIdx: 5, value: 2 },
    { kind: 'metric', identifier: 'loss', rank: 1, batchIdx: 3, value: 1 },
    { kind: 'metric', identifier: 'loss', rank: 2, batchIdx: 0, value: 2.5 },
  ]);
  sink.commit();
  sink.close('finished');
  t.deepEqual(screen(output()), ['[ranklog] rank 1 epoch 1 · batch 3 · loss=1', '']);
});

test('not a TTY: batch metrics are plain lines too, and close adds nothing', async (t) => {
  const { sink, output } = await open(t, { isTTY: false, columns: 80, totalEpochs: 2, batchesPerEpoch: 2 });
  feed(sink, [
    { kind: 'metric', identifier: 'loss', step: 0, batchIdx: 0, value: 1 },
    { kind: 'metric', identifier: 'loss', step: 1, batchIdx: 1, value: 0.5 },
  ]);
  sink.close('finished');
  t.is(output(), '[ranklog] rank 0 step 0 batch 0  loss = 1\n[ranklog] rank 0 step 1 batch 1  loss = 0.5\n');
  t.throws(() => sink.write({ kind: 'metric', rank: 0, identifier: 'late', step: undefined, batchIdx: undefined, timeMs: 0, value: 1, item: 1 }), {
    message: /after close/,
  });
});
