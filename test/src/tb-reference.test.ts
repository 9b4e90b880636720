/**
 * The independent TensorBoard decoder (support/tb-decode.ts, proto-decode.ts, crc32c-ref.ts)
 * against event files written by tensorboardX 2.6.5 (shared/reference/tensorboard/, see its
 * README). If the oracle reads a real writer's files exactly as the README describes them,
 * it can be trusted to judge ours (tensorboard.test.ts).
 *
 * What tensorboardX 2.6.5 writes, as decoded here (field numbers from event.proto,
 * summary.proto, tensor.proto, plugin_data.proto, api.proto, struct.proto). This is what
 * our writer has to match:
 *
 * Framing / file: `events.out.tfevents.<secs>.<host>` (no pid, no suffix). Each record
 *   uint64 LE length, masked CRC32C(length bytes), payload, masked CRC32C(payload); no
 *   padding, no trailer. Default proto3 values are omitted (step 0 is not written).
 * Record 1: Event { wall_time (real time, seconds as double), file_version "brain.Event:2" }
 *   — fields 1 and 3 only; 40 bytes with framing.
 * Every other record: Event { wall_time = 1, step = 2 (omitted when 0), summary = 5 } with
 *   exactly ONE Summary.Value per Event.
 * Scalar (add_scalar): Value { tag = 1, simple_value = 2 (float32) } — nothing else: no
 *   metadata, no tensor. simple_value 0.0 is written explicitly (oneof presence).
 *   Size: 48.74 B/event for the 10-character tag `train/loss`, 52.74 for `train/accuracy`
 *   (14 characters), 50.74 on average over the 1000 scalar events (steps 0..499).
 * Text (add_text 'notes'): tag `notes/text_summary`; Value { tag, metadata = 9, tensor = 8 };
 *   metadata = SummaryMetadata { plugin_data { plugin_name "text" } } — content absent
 *   (empty), no display_name/description, data_class absent (0 = UNKNOWN);
 *   tensor = TensorProto { dtype 7 (DT_STRING), tensor_shape { dim { size 1 } },
 *   string_val [utf-8 bytes] } — no tensor_content, no version_number.
 * Image (add_image 'sample', HWC uint8 RGB): Value { tag 'sample', metadata = 9, image = 4 };
 *   metadata = { plugin_data { plugin_name "images" } } (content empty, data_class 0);
 *   Summary.Image { height 8, width 8, colorspace 3 (RGB), encoded_image_string = PNG
 *   (82 bytes, 8-bit RGB, colour type 2) } — the legacy image field, not a tensor.
 * Histogram (add_histogram 'weights', 1000 N(0,1) samples): Value { tag, histo = 5 } — NO
 *   metadata; HistogramProto { min, max, num 1000, sum, sum_squares, bucket_limit, bucket }
 *   all 7 fields set, both repeated doubles PACKED. Buckets: TensorFlow's default edges
 *   0 and ±1e-12·1.1^k (k = 0, 1, …), cut to the range of the samples: 606 buckets here
 *   (303 negative limits, the limit 0, 302 positive), first limit −3.1665833 (bucket count 0:
 *   one empty bucket is kept on the left so the lowest edge is known), last limit 2.8787121
 *   (first limit ≥ max; its bucket is non-empty), 492 of the 606 buckets empty (the dense
 *   edges near zero are kept, not merged). Counts are doubles holding integers.
 * HParams (add_hparams, in the separate run directory `hparams/`): three Events, each with one
 *   Value { tag, metadata = 9 } and NO value at all (no tensor, no simple_value):
 *   metadata = { plugin_data { plugin_name "hparams", content = HParamsPluginData } },
 *   data_class 0. HParamsPluginData.version is absent (0).
 *   - `_hparams_/experiment`: Experiment { hparam_infos = [{ name, type }] in input order
 *     (lr → FLOAT64 (3), batch_size → FLOAT64 (3; ints are floats), optimizer → STRING (1),
 *     use_bn → BOOL (2)); no domain, no display name; metric_infos = [{ name { tag
 *     "hparam/accuracy" } }, { name { tag "hparam/loss" } }] (group empty); no name,
 *     description, user or time_created_secs }.
 *   - `_hparams_/session_start_info`: SessionStartInfo { hparams map<string, Value>:
 *     optimizer → string_value "adam", lr → number_value 0.01, use_bn → bool_value true,
 *     batch_size → number_value 32 (map order is not the input order) }; no group_name,
 *     no start_time_secs, no model_uri.
 *   - `_hparams_/session_end_info`: SessionEndInfo { status 1 (STATUS_SUCCESS) }; no end time.
 *   Then the metrics as ordinary scalars in the same run: `hparam/accuracy` simple_value
 *   0.93 (float32), `hparam/loss` 0.21.
 * Wall times: the scalar/text/image/histogram events carry the fixed wall times given to
 *   tensorboardX (1700000000 + step); the file_version and hparams events real time.
 *
 * One discrepancy with the reference README: the image's blue channel is 200 in every pixel,
 * not 0 (red = 32·x and green = 32·y as documented). The test asserts the data.
 */
import test from 'ava';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c, maskCrc, maskedCrc32c, unmaskCrc } from './support/crc32c-ref.js';
import { decodeMessage, readVarint, varintToInt64, varintToUint64 } from './support/proto-decode.js';
import { decodePng } from './support/png-decode.js';
import { referenceData } from './support/reference-data.js';
import {
  DATA_CLASS,
  decodeEventBytes,
  decodeHParamsPluginData,
  DT,
  HPARAM_STATUS,
  HPARAM_TYPE,
  pvalueToJs,
  readEventFile,
  readRunDir,
  scalarOf,
  summaryValues,
  tensorStrings,
  valuesOfTag,
  type DecodedEvent,
} from './support/tb-decode.js';

/** <repo>/../shared/reference/… (CI puts a copy of shared/ beside the clone): missing fails in CI, skips elsewhere. */
const REFERENCE = referenceData('tb-reference', 'tensorboard/tensorboardx-2.6.5');
const REF_DIR = REFERENCE.dir;
const refTest = REFERENCE.test;

const TEXT = 'Hello from **tensorboardX** - unicode: é✓';

function mainFile(): string {
  const names = readdirSync(REF_DIR).filter((n) => n.startsWith('events.out.tfevents.'));
  if (names.length !== 1) throw new Error(`expected one event file in ${REF_DIR}, found ${names.join(', ')}`);
  return join(REF_DIR, names[0]!);
}

function hparamsFile(): string {
  const dir = join(REF_DIR, 'hparams');
  const names = readdirSync(dir).filter((n) => n.startsWith('events.out.tfevents.'));
  if (names.length !== 1) throw new Error(`expected one event file in ${dir}, found ${names.join(', ')}`);
  return join(dir, names[0]!);
}

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ranklog-tbref-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const scalarEvents = (events: DecodedEvent[]) => events.filter((e) => e.summary?.values.length === 1 && e.summary.values[0]!.kind === 'simple_value');

// ------------------------------------------------------------------ the oracle itself

test('oracle: CRC-32C known answers (RFC 3720 B.4 and the "check" value)', (t) => {
  const ascii = new TextEncoder().encode('123456789');
  t.is(crc32c(ascii), 0xe3069283);
  t.is(crc32c(new Uint8Array(32)), 0x8a9136aa);
  t.is(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  t.is(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  t.is(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
  t.is(crc32c(new Uint8Array(0)), 0);
  // The mask is a bijection, rotation by 15 plus a constant.
  for (const c of [0, 1, 0xffffffff, 0xe3069283, 0x80000000]) t.is(unmaskCrc(maskCrc(c)), c);
  t.is(maskCrc(0), 0xa282ead8);
  t.is(maskedCrc32c(ascii), maskCrc(0xe3069283));
});

test('oracle: varints, including 10-byte negatives, and strict message decoding', (t) => {
  const v = (hex: string) => {
    const b = Buffer.from(hex.replace(/ /g, ''), 'hex');
    const r = readVarint(b, 0);
    t.is(r.next, b.length, hex);
    return r;
  };
  t.is(varintToUint64(v('00').lo, 0), 0n);
  const r300 = v('ac 02');
  t.is(r300.lo, 300);
  const m1 = v('ff ff ff ff ff ff ff ff ff 01'); // int32/int64 -1
  t.is(varintToInt64(m1.lo, m1.hi), -1n);
  t.is(varintToUint64(m1.lo, m1.hi), 0xffffffffffffffffn);
  const big = v('80 80 80 80 80 80 80 80 80 01'); // 2^63
  t.is(varintToUint64(big.lo, big.hi), 1n << 63n);
  const x = v('ff ff ff ff 0f'); // 2^32 - 1
  t.is(varintToUint64(x.lo, x.hi), 0xffffffffn);
  const y = v('80 80 80 80 10'); // 2^32
  t.is(varintToUint64(y.lo, y.hi), 0x100000000n);
  t.throws(() => readVarint(Buffer.from('ffffffffffffffffff02', 'hex'), 0), { message: /longer than 64 bits/ });
  t.throws(() => readVarint(Buffer.from('8080808080808080808000', 'hex'), 0), { message: /more than 10 bytes/ });
  t.throws(() => readVarint(Buffer.from('ff', 'hex'), 0), { message: /truncated/ });

  // field 1 int32 -5 (10 bytes), field 2 double 1.5, field 3 string "hé", field 4 packed doubles, field 4 once more unpacked
  const d = Buffer.alloc(8);
  d.writeDoubleLE(1.5);
  const p = Buffer.alloc(16);
  p.writeDoubleLE(2, 0);
  p.writeDoubleLE(-3, 8);
  const msgBytes = Buffer.concat([
    Buffer.from('08fbffffffffffffffff01', 'hex'),
    Buffer.from('11', 'hex'),
    d,
    Buffer.from('1a03', 'hex'),
    Buffer.from('hé', 'utf8'),
    Buffer.from('2210', 'hex'),
    p,
    Buffer.from('21', 'hex'),
    d,
  ]);
  const m = decodeMessage(msgBytes);
  t.is(m.int32(1), -5);
  t.is(m.int64(1), -5n);
  t.is(m.double(2), 1.5);
  t.is(m.string(3), 'hé');
  t.deepEqual(m.packedDoubles(4), [2, -3, 1.5]);
  t.deepEqual(m.numbers(), [1, 2, 3, 4]);
  t.throws(() => m.double(4), { message: /occurs 2 times/ });
  t.throws(() => m.string(2), { message: /wire type I64, expected LEN/ });
  t.throws(() => decodeMessage(Buffer.from('0a05abc', 'hex')), { message: /claims 5 bytes/ });
  t.throws(() => decodeMessage(Buffer.from('0b', 'hex')), { message: /SGROUP/ });
  t.throws(() => decodeMessage(Buffer.from('0001', 'hex')), { message: /field number 0/ });
});

// ------------------------------------------------------------------ the reference files

refTest('reference: both files frame correctly (every length and payload CRC checks), no truncated tail, no unknown fields', (t) => {
  for (const path of [mainFile(), hparamsFile()]) {
    const f = readEventFile(path);
    t.deepEqual(f.errors, [], path);
    t.deepEqual(f.unknownFields, [], path);
    t.false(f.truncatedTail, path);
    t.is(
      f.events.reduce((a, e) => a + e.record.totalBytes, 0),
      statSync(path).size,
      'the records cover the whole file',
    );
    const first = f.events[0]!;
    t.is(first.what, 'file_version');
    t.is(first.fileVersion, 'brain.Event:2');
    t.deepEqual(first.fieldNumbers, [1, 3], 'wall_time and file_version only');
    t.true(first.wallTime > 1.6e9, 'a real wall time');
    t.true(
      f.events.slice(1).every((e) => e.what === 'summary' && e.summary!.values.length === 1),
      'one Summary.Value per later Event',
    );
    t.regex(path, /events\.out\.tfevents\.\d+\.[^/]+$/);
    t.is(Number(/tfevents\.(\d+)\./.exec(path)![1]), Math.floor(first.wallTime), 'file name seconds = floor(file_version wall_time)');
  }
});

refTest('reference: readRunDir finds two runs, "." and "hparams"', (t) => {
  const runs = readRunDir(REF_DIR);
  t.deepEqual([...runs.keys()].sort(), ['.', 'hparams']);
  t.is(runs.get('.')!.events.length, 1004);
  t.is(runs.get('hparams')!.events.length, 6);
});

refTest('reference: 1000 scalars train/loss and train/accuracy, steps 0..499, accuracy = 1 − loss (float32)', (t) => {
  const f = readEventFile(mainFile());
  const loss = valuesOfTag(f.events, 'train/loss');
  const acc = valuesOfTag(f.events, 'train/accuracy');
  t.is(loss.length, 500);
  t.is(acc.length, 500);
  t.deepEqual(
    loss.map((v) => v.event.step),
    Array.from({ length: 500 }, (_, i) => i),
  );
  t.deepEqual(
    acc.map((v) => v.event.step),
    Array.from({ length: 500 }, (_, i) => i),
  );
  for (let i = 0; i < 500; i++) {
    const l = loss[i]!.value;
    const a = acc[i]!.value;
    t.is(l.kind, 'simple_value');
    t.deepEqual(l.fieldNumbers, [1, 2], 'tag and simple_value only: no metadata');
    t.deepEqual(a.fieldNumbers, [1, 2]);
    const lv = scalarOf(l)!;
    const av = scalarOf(a)!;
    t.is(Math.fround(lv), lv, 'a float32');
    if (Math.abs(av - (1 - lv)) > 2 ** -23) t.fail(`step ${i}: accuracy ${av} is not 1 − loss ${lv}`);
    t.is(loss[i]!.event.wallTime, 1700000000 + i);
    t.deepEqual(loss[i]!.event.fieldNumbers, i === 0 ? [1, 5] : [1, 2, 5], 'step 0 is not written (proto3 default)');
  }
  t.is(scalarOf(loss[0]!.value), 1);
  t.is(scalarOf(acc[0]!.value), 0, 'simple_value 0 is present (oneof member), decoded as 0');
});

refTest('reference: text notes/text_summary — plugin text, DT_STRING [1], the exact unicode string', (t) => {
  const f = readEventFile(mainFile());
  const values = valuesOfTag(f.events, 'notes/text_summary');
  t.is(values.length, 1);
  const { value, event } = values[0]!;
  t.is(event.step, 0);
  t.is(value.kind, 'tensor');
  t.deepEqual(value.fieldNumbers, [1, 8, 9]);
  t.is(value.metadata?.pluginName, 'text');
  t.is(value.metadata?.pluginContent?.length, 0, 'empty plugin content');
  t.is(value.metadata?.dataClass, DATA_CLASS.UNKNOWN);
  t.deepEqual(value.metadata?.fieldNumbers, [1]);
  const tensor = value.tensor!;
  t.is(tensor.dtype, DT.STRING);
  t.deepEqual(tensor.shape, [1]);
  t.deepEqual(tensor.fieldNumbers, [1, 2, 8]);
  t.deepEqual(tensorStrings(tensor), [TEXT]);
});

refTest('reference: image sample — 8×8 RGB PNG, colorspace 3, red = 32·x, green = 32·y (blue 200, not 0 as the README says)', (t) => {
  const f = readEventFile(mainFile());
  const values = valuesOfTag(f.events, 'sample');
  t.is(values.length, 1);
  const { value } = values[0]!;
  t.is(value.kind, 'image');
  t.deepEqual(value.fieldNumbers, [1, 4, 9]);
  t.is(value.metadata?.pluginName, 'images');
  t.is(value.metadata?.pluginContent?.length, 0);
  const im = value.image!;
  t.like(im, { height: 8, width: 8, colorspace: 3 });
  const png = decodePng(im.encodedImageString);
  t.like(png, { width: 8, height: 8, channels: 3 });
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      const i = (y * 8 + x) * 3;
      const px = [png.data[i], png.data[i + 1], png.data[i + 2]];
      if (px[0] !== 32 * x || px[1] !== 32 * y || px[2] !== 200) t.fail(`pixel (${x}, ${y}) is ${px}`);
    }
  }
  t.pass();
});

refTest('reference: histogram weights — num 1000, counts sum to 1000, limits increasing, TensorFlow exponential edges', (t) => {
  const f = readEventFile(mainFile());
  const values = valuesOfTag(f.events, 'weights');
  t.is(values.length, 1);
  const { value } = values[0]!;
  t.is(value.kind, 'histo');
  t.is(value.metadata, undefined, 'no metadata on the legacy histo');
  const h = value.histo!;
  t.deepEqual(h.fieldNumbers, [1, 2, 3, 4, 5, 6, 7]);
  t.deepEqual(h.packed, { bucketLimit: true, bucket: true });
  t.is(h.num, 1000);
  t.is(
    h.bucket.reduce((a, b) => a + b, 0),
    1000,
  );
  t.true(h.bucket.every((c) => Number.isInteger(c) && c >= 0));
  t.is(h.bucket.length, h.bucketLimit.length);
  t.is(h.bucket.length, 606);
  for (let i = 1; i < h.bucketLimit.length; i++) if (!(h.bucketLimit[i]! > h.bucketLimit[i - 1]!)) t.fail(`bucket_limit[${i}] does not increase`);
  t.true(h.min < h.max);
  t.true(h.min > -6 && h.max < 6, 'a standard normal sample');
  t.true(Math.abs(h.sum / 1000) < 0.2);
  t.true(Math.abs(h.sumSquares / 1000 - 1) < 0.2);
  // Every limit is 0 or ±1e-12·1.1^k.
  for (const l of h.bucketLimit) {
    if (l === 0) continue;
    const k = Math.log(Math.abs(l) / 1e-12) / Math.log(1.1);
    if (Math.abs(k - Math.round(k)) > 1e-6) t.fail(`limit ${l} is not ±1e-12·1.1^k`);
  }
  t.is(h.bucket[0], 0, 'an empty bucket on the left');
  t.true(h.bucketLimit[0]! <= h.min && h.bucketLimit[1]! >= h.min);
  t.true(h.bucket[h.bucket.length - 1]! > 0);
  t.true(h.bucketLimit[h.bucketLimit.length - 1]! >= h.max && h.bucketLimit[h.bucketLimit.length - 2]! < h.max);
  t.true(h.bucketLimit.includes(0));
  t.log(
    `reference histogram: ${h.bucket.length} buckets, limits ${h.bucketLimit[0]} … ${h.bucketLimit.at(-1)}, ${h.bucket.filter((c) => c === 0).length} empty`,
  );
});

refTest('reference: hparams run — experiment, session_start_info, session_end_info (plugin hparams, no tensor) and the two metrics', (t) => {
  const f = readEventFile(hparamsFile());
  t.deepEqual(f.unknownFields, []);
  const tags = summaryValues(f.events).map((v) => v.value.tag);
  t.deepEqual(tags, ['_hparams_/experiment', '_hparams_/session_start_info', '_hparams_/session_end_info', 'hparam/accuracy', 'hparam/loss']);

  const hp = (tag: string) => {
    const { value } = valuesOfTag(f.events, tag)[0]!;
    t.is(value.kind, undefined, `${tag}: no value (no tensor, no simple_value)`);
    t.deepEqual(value.fieldNumbers, [1, 9]);
    t.is(value.metadata?.pluginName, 'hparams');
    t.is(value.metadata?.dataClass, 0);
    const unknown: string[] = [];
    const data = decodeHParamsPluginData(value.metadata!.pluginContent!, unknown);
    t.deepEqual(unknown, []);
    t.is(data.version, 0);
    return data;
  };

  const exp = hp('_hparams_/experiment');
  t.is(exp.data, 'experiment');
  const e = exp.experiment!;
  t.deepEqual(
    e.hparamInfos.map((h) => [h.name, h.type, h.domainDiscrete, h.domainInterval]),
    [
      ['lr', HPARAM_TYPE.FLOAT64, undefined, undefined],
      ['batch_size', HPARAM_TYPE.FLOAT64, undefined, undefined],
      ['optimizer', HPARAM_TYPE.STRING, undefined, undefined],
      ['use_bn', HPARAM_TYPE.BOOL, undefined, undefined],
    ],
  );
  t.deepEqual(
    e.metricInfos.map((m) => m.name),
    [
      { group: '', tag: 'hparam/accuracy' },
      { group: '', tag: 'hparam/loss' },
    ],
  );
  t.deepEqual(e.fieldNumbers, [4, 5], 'only hparam_infos and metric_infos');

  const start = hp('_hparams_/session_start_info');
  t.is(start.data, 'session_start_info');
  const s = start.sessionStartInfo!;
  t.deepEqual(Object.fromEntries(s.hparams.map(([k, v]) => [k, pvalueToJs(v)])), { lr: 0.01, batch_size: 32, optimizer: 'adam', use_bn: true });
  t.deepEqual(Object.fromEntries(s.hparams.map(([k, v]) => [k, v.kind])), { lr: 'number', batch_size: 'number', optimizer: 'string', use_bn: 'bool' });
  t.deepEqual(s.fieldNumbers, [1]);

  const end = hp('_hparams_/session_end_info');
  t.is(end.data, 'session_end_info');
  t.is(end.sessionEndInfo!.status, HPARAM_STATUS.SUCCESS);

  const metric = (tag: string) => scalarOf(valuesOfTag(f.events, tag)[0]!.value);
  t.is(metric('hparam/accuracy'), Math.fround(0.93));
  t.is(metric('hparam/loss'), Math.fround(0.21));
});

refTest('reference: bytes per scalar event', (t) => {
  const path = mainFile();
  const f = readEventFile(path);
  const scalars = scalarEvents(f.events);
  t.is(scalars.length, 1000);
  const bytes = scalars.reduce((a, e) => a + e.record.totalBytes, 0);
  const per = bytes / scalars.length;
  const perTag = (tag: string) => {
    const s = scalars.filter((e) => e.summary!.values[0]!.tag === tag);
    return s.reduce((a, e) => a + e.record.totalBytes, 0) / s.length;
  };
  t.log(
    `tensorboardX 2.6.5: ${bytes} of the file's ${f.fileBytes} bytes hold the 1000 scalar events: ${per.toFixed(2)} B/event (train/loss ${perTag('train/loss').toFixed(2)}, train/accuracy ${perTag('train/accuracy').toFixed(2)}; framing 16 B each)`,
  );
  t.is(per, 50.74);
});

// ------------------------------------------------------------------ the oracle catches damage

refTest('oracle: a flipped payload byte stops reading with a payload CRC error; a flipped length byte with a length CRC error', (t) => {
  const dir = tempDir(t);
  const bytes = new Uint8Array(readFileSync(mainFile()));
  const good = decodeEventBytes(bytes);
  const r = good.events[5]!.record;

  const payloadHit = bytes.slice();
  payloadHit[r.offset + 12 + 3]! ^= 0x01;
  const a = decodeEventBytes(payloadHit);
  t.is(a.events.length, 5);
  t.is(a.errors.length, 1);
  t.regex(a.errors[0]!, /record 5 .*payload CRC/);

  const lengthHit = bytes.slice();
  lengthHit[r.offset + 1]! ^= 0x40;
  const b = decodeEventBytes(lengthHit);
  t.is(b.events.length, 5);
  t.regex(b.errors[0]!, /record 5 .*length CRC/);

  const crcHit = bytes.slice();
  crcHit[r.offset + 12 + r.payloadLength]! ^= 0x80; // the stored payload CRC itself
  t.regex(decodeEventBytes(crcHit).errors[0]!, /payload CRC/);

  // readEventFile reads the same thing from disk.
  const file = join(dir, 'events.out.tfevents.1.x');
  writeFileSync(file, payloadHit);
  t.deepEqual(readEventFile(file).errors, a.errors);
});

refTest('oracle: a file cut inside a record reports a truncated tail and decodes every complete record before it identically', (t) => {
  const dir = tempDir(t);
  const src = mainFile();
  const whole = readEventFile(src);
  const copy = join(dir, 'events.out.tfevents.1795774206.vm');
  for (const [k, cut] of [
    [500, 5], // inside the length
    [500, 10], // inside the length CRC
    [500, 20], // inside the payload
    [1003, 100], // inside the histogram payload
  ] as const) {
    copyFileSync(src, copy);
    truncateSync(copy, whole.events[k]!.record.offset + cut);
    const f = readEventFile(copy);
    t.true(f.truncatedTail, `record ${k} cut after ${cut} bytes`);
    t.is(f.tailBytes, cut);
    t.deepEqual(f.errors, []);
    t.is(f.events.length, k);
    t.deepEqual(f.events, whole.events.slice(0, k));
  }
  // Cut exactly at a record boundary: nothing truncated.
  copyFileSync(src, copy);
  truncateSync(copy, whole.events[700]!.record.offset);
  const f = readEventFile(copy);
  t.false(f.truncatedTail);
  t.is(f.events.length, 700);
});
