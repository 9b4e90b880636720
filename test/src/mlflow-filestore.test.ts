/**
 * The MLflow file store (`mlruns/` layout, the README's MLflow section), read back with a
 * parser of its own: a small reader for the YAML subset of these meta.yaml files
 * and for the metric line format `<timestamp> <value> <step>`, sharing no code
 * with the store. The expected YAML lines are what PyYAML (libyaml's emitter, as
 * MLflow's write_yaml uses it) writes for the same values; metric values are
 * Python's repr() of the float.
 *
 * When python3 with PyYAML is on the machine, one more test loads every
 * meta.yaml with yaml.safe_load and dumps it again with MLflow's options: the
 * bytes must be the same.
 */
import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileStore } from '../../packages/mlflow/dist/filestore/file-store.js';
import type { Batch } from '../../packages/mlflow/dist/store.js';
import { tempDir } from './support/log-path.js';
import { runNode, startGate } from './support/child-process.js';
import { parseMeta, parseMetricFile } from './support/mlruns-reader.js';

const EXPERIMENT_FIXTURE = fileURLToPath(new URL('./fixtures/mlflow-fs-experiment.js', import.meta.url));
const RANK_FIXTURE = fileURLToPath(new URL('./fixtures/mlflow-fs-rank.js', import.meta.url));

// ---------------------------------------------------------------------------
// Helpers

function read(...parts: string[]): string {
  return readFileSync(join(...parts), 'utf8');
}

/** Every file under dir, relative, sorted. */
function walk(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) visit(p);
      else out.push(relative(dir, p));
    }
  };
  visit(dir);
  return out.sort();
}

function md5(...parts: string[]): string {
  const h = createHash('md5');
  for (const p of parts) h.update(p, 'utf8');
  return h.digest('hex');
}

/** The documented id rule, computed here: SHA-256 of "ranklog.mlflow.experiment\0<k>\0<name>" → 18 digits. */
function expectedExperimentId(name: string, k: number): string {
  const h = createHash('sha256').update(`ranklog.mlflow.experiment\0${k}\0${name}`, 'utf8').digest('hex');
  return ((BigInt('0x' + h) % 900000000000000000n) + 100000000000000000n).toString();
}

async function newRun(t: ExecutionContext, experiment = 'exp'): Promise<{ root: string; store: FileStore; exp: string; run: string; runDir: string }> {
  const root = join(tempDir(t, 'mlfs'), 'mlruns');
  const store = new FileStore(root);
  t.teardown(() => store.close());
  const exp = await store.getOrCreateExperiment(experiment);
  const run = await store.createRun(exp, { runName: 'run-a', startTime: 1_700_000_000_000, tags: [] });
  return { root, store, exp, run, runDir: join(root, exp, run) };
}

/** The last line a child printed (before it: the start barrier's line). */
const lastLine = (stdout: string) => stdout.trim().split('\n').pop() ?? '';

// ---------------------------------------------------------------------------
// Experiments

test('a new root gets the Default experiment "0" and .trash; an experiment gets an 18-digit id and MLflow\'s meta.yaml', async (t) => {
  const root = join(tempDir(t, 'mlfs'), 'mlruns');
  const store = new FileStore(root);
  const before = Date.now();
  const id = await store.getOrCreateExperiment('my experiment');
  const after = Date.now();
  await store.close();

  t.true(statSync(join(root, '.trash')).isDirectory());
  const def = read(root, '0', 'meta.yaml');
  t.regex(def, /^artifact_location: file:\/\/\/.*\nname: Default\n$/s);
  const d = parseMeta(def);
  t.deepEqual(Object.keys(d), ['artifact_location', 'creation_time', 'experiment_id', 'last_update_time', 'lifecycle_stage', 'name']);
  t.is(d.experiment_id, '0');
  t.true(def.includes("experiment_id: '0'\n"), 'the id is a string, quoted as PyYAML quotes digits');
  t.is(d.artifact_location, `file://${root}/0`);

  t.regex(id, /^[1-9][0-9]{17}$/);
  t.is(id, expectedExperimentId('my experiment', 0));
  const text = read(root, id, 'meta.yaml');
  const m = parseMeta(text);
  t.deepEqual(Object.keys(m), ['artifact_location', 'creation_time', 'experiment_id', 'last_update_time', 'lifecycle_stage', 'name']);
  t.is(m.artifact_location, `file://${root}/${id}`);
  t.is(m.experiment_id, id);
  t.is(m.name, 'my experiment');
  t.is(m.lifecycle_stage, 'active');
  t.true((m.creation_time as number) >= before && (m.creation_time as number) <= after);
  t.is(m.last_update_time, m.creation_time);
  t.is(
    text,
    `artifact_location: file://${root}/${id}\ncreation_time: ${m.creation_time}\nexperiment_id: '${id}'\nlast_update_time: ${m.creation_time}\nlifecycle_stage: active\nname: my experiment\n`,
  );

  // MLflow skips root entries ending in ".trash": nothing else is listed as an experiment.
  t.deepEqual(
    readdirSync(root)
      .filter((e) => !e.endsWith('.trash'))
      .sort(),
    ['0', id].sort(),
  );

  // Found again by name, by this store and by a fresh one.
  const again = new FileStore(root);
  t.is(await again.getOrCreateExperiment('my experiment'), id);
  t.not(await again.getOrCreateExperiment('other'), id);
  await again.close();
});

test('experiment names are quoted exactly as PyYAML quotes them, and read back', async (t) => {
  const root = join(tempDir(t, 'mlfs'), 'mlruns');
  const store = new FileStore(root);
  t.teardown(() => store.close());
  const cases: [string, string][] = [
    ['true', "name: 'true'\n"],
    ['123', "name: '123'\n"],
    ['0.5', "name: '0.5'\n"],
    ['null', "name: 'null'\n"],
    ['2024-01-02', "name: '2024-01-02'\n"],
    ['a: b', "name: 'a: b'\n"],
    ['it\'s "quoted"', 'name: it\'s "quoted"\n'],
    ['#hash', "name: '#hash'\n"],
    ['a #b', "name: 'a #b'\n"],
    ['a\tb', 'name: "a\\tb"\n'],
    [' lead', "name: ' lead'\n"],
    ['é ü', 'name: é ü\n'],
    ['😀', 'name: "\\U0001F600"\n'],
    ['line1\nline2', "name: 'line1\n\n  line2'\n"],
    ['rank-0/exp:1', 'name: rank-0/exp:1\n'],
    ['x' + ' words'.repeat(18), 'name: x words words words words words words words words words words words words words\n  words words words words words\n'],
  ];
  for (const [name, line] of cases) {
    const id = await store.getOrCreateExperiment(name);
    const text = read(root, id, 'meta.yaml');
    t.true(text.endsWith(line), `${JSON.stringify(name)}: ${JSON.stringify(text)}`);
    t.is(parseMeta(text).name, name);
    t.is(await new FileStore(root).getOrCreateExperiment(name), id, `${JSON.stringify(name)} found again by name`);
  }
  await t.throwsAsync(store.getOrCreateExperiment(''), { message: /Invalid experiment name/ });
});

test('an experiment created elsewhere is found by name; a deleted one is an error', async (t) => {
  const root = join(tempDir(t, 'mlfs'), 'mlruns');
  mkdirSync(join(root, '555555555555555555'), { recursive: true });
  // As MLflow's FileStore writes it.
  writeFileSync(
    join(root, '555555555555555555', 'meta.yaml'),
    `artifact_location: file://${root}/555555555555555555\ncreation_time: 1700000000000\nexperiment_id: '555555555555555555'\nlast_update_time: 1700000000000\nlifecycle_stage: active\nname: made by mlflow\n`,
  );
  mkdirSync(join(root, '.trash', '666666666666666666'), { recursive: true });
  writeFileSync(
    join(root, '.trash', '666666666666666666', 'meta.yaml'),
    `artifact_location: file://${root}/666666666666666666\ncreation_time: 1700000000000\nexperiment_id: '666666666666666666'\nlast_update_time: 1700000000001\nlifecycle_stage: deleted\nname: gone\n`,
  );
  const store = new FileStore(root);
  t.teardown(() => store.close());
  t.is(await store.getOrCreateExperiment('made by mlflow'), '555555555555555555');
  t.false(existsSync(join(root, '0')), 'an existing root with experiments gets no Default experiment (as MLflow)');
  await t.throwsAsync(store.getOrCreateExperiment('gone'), { message: /"gone" already exists in deleted state/ });
});

test('an id taken by another experiment moves every racer to the same next probe', async (t) => {
  const root = join(tempDir(t, 'mlfs'), 'mlruns');
  const name = 'clash';
  const taken = expectedExperimentId(name, 0);
  mkdirSync(join(root, taken), { recursive: true });
  writeFileSync(
    join(root, taken, 'meta.yaml'),
    `artifact_location: file://${root}/${taken}\ncreation_time: 1700000000000\nexperiment_id: '${taken}'\nlast_update_time: 1700000000000\nlifecycle_stage: active\nname: renamed later\n`,
  );
  const stores = Array.from({ length: 8 }, () => new FileStore(root));
  const ids = await Promise.all(stores.map((s) => s.getOrCreateExperiment(name)));
  await Promise.all(stores.map((s) => s.close()));
  t.deepEqual(new Set(ids), new Set([expectedExperimentId(name, 1)]));
  t.is(parseMeta(read(root, taken, 'meta.yaml')).name, 'renamed later');
  t.is(parseMeta(read(root, ids[0]!, 'meta.yaml')).name, name);
});

test('4 processes racing getOrCreateExperiment on one root get one experiment', async (t) => {
  const root = join(tempDir(t, 'mlfs'), 'mlruns');
  for (const name of ['raced', 'raced again', 'third']) {
    const gate = startGate(4); // all four up and waiting, then let go at once
    const outs = await Promise.all(Array.from({ length: 4 }, () => runNode(t, [EXPERIMENT_FIXTURE, root, name], process.env, gate.watch)));
    for (const o of outs) t.is(o.code, 0, o.stderr);
    const ids = outs.map((o) => (JSON.parse(lastLine(o.stdout)) as { id: string }).id);
    t.is(new Set(ids).size, 1, `${name}: ${ids.join(', ')}`);
    const withName = readdirSync(root)
      .filter((e) => !e.endsWith('.trash'))
      .filter((e) => parseMeta(read(root, e, 'meta.yaml')).name === name);
    t.deepEqual(withName, [ids[0]]);
  }
  const listed = readdirSync(root).filter((e) => !e.endsWith('.trash'));
  t.is(listed.length, 4, 'Default and the three experiments');
  for (const e of listed) t.deepEqual(readdirSync(join(root, e)), ['meta.yaml']);
  t.false(existsSync(join(root, '.ranklog-staging.trash')), 'no staging left behind');
});

// ---------------------------------------------------------------------------
// Runs

test("a run's meta.yaml, directories and mlflow.runName tag are MLflow's", async (t) => {
  const root = join(tempDir(t, 'mlfs'), 'mlruns');
  const store = new FileStore(root);
  t.teardown(() => store.close());
  const exp = await store.getOrCreateExperiment('runs');
  const run = await store.createRun(exp, {
    runName: 'rank 0',
    startTime: 1_700_000_000_123,
    tags: [
      { key: 'mlflow.user', value: 'alice' },
      { key: 'mlflow.parentRunId', value: 'f'.repeat(32) },
    ],
  });
  t.regex(run, /^[0-9a-f]{32}$/);
  t.is(run[12], '4', 'uuid4');
  const runDir = join(root, exp, run);
  t.deepEqual(readdirSync(runDir).sort(), ['artifacts', 'meta.yaml', 'metrics', 'params', 'tags']);
  const text = read(runDir, 'meta.yaml');
  t.is(
    text,
    [
      `artifact_uri: file://${root}/${exp}/${run}/artifacts`,
      'deleted_time: null',
      'end_time: null',
      "entry_point_name: ''",
      `experiment_id: '${exp}'`,
      'lifecycle_stage: active',
      `run_id: ${run}`,
      'run_name: rank 0',
      `run_uuid: ${run}`,
      "source_name: ''",
      'source_type: 4',
      "source_version: ''",
      'start_time: 1700000000123',
      'status: 1',
      'tags: []',
      'user_id: alice',
      '',
    ].join('\n'),
  );
  const m = parseMeta(text);
  t.is(m.run_id, run);
  t.is(m.experiment_id, exp);
  t.deepEqual(m.tags, []);
  t.is(read(runDir, 'tags', 'mlflow.runName'), 'rank 0');
  t.is(read(runDir, 'tags', 'mlflow.user'), 'alice');
  t.is(read(runDir, 'tags', 'mlflow.parentRunId'), 'f'.repeat(32));

  const anon = await store.createRun(exp, { runName: 'x', startTime: 1, tags: [] });
  t.is(parseMeta(read(root, exp, anon, 'meta.yaml')).user_id, 'unknown', 'no mlflow.user tag: user_id "unknown", as MLflow\'s client');
  await t.throwsAsync(store.createRun(exp, { runName: 'a', startTime: 1, tags: [{ key: 'mlflow.runName', value: 'b' }] }), { message: /different values/ });
  await t.throwsAsync(store.createRun('123456789012345678', { runName: 'a', startTime: 1, tags: [] }), { message: /no such experiment/ });
  await t.throwsAsync(store.createRun('../x', { runName: 'a', startTime: 1, tags: [] }), { message: /Invalid experiment ID/ });
});

test('updateRun rewrites status (int enum) and end_time; a mlflow.runName tag renames the run', async (t) => {
  const { store, run, runDir } = await newRun(t);
  await store.logBatch(run, { metrics: [], params: [], tags: [{ key: 'mlflow.runName', value: 'renamed' }] });
  let m = parseMeta(read(runDir, 'meta.yaml'));
  t.is(m.run_name, 'renamed');
  t.is(read(runDir, 'tags', 'mlflow.runName'), 'renamed');
  t.false('deleted_time' in m, 'MLflow drops deleted_time when it rewrites meta.yaml');

  await store.updateRun(run, 'FINISHED', 1_700_000_009_999);
  m = parseMeta(read(runDir, 'meta.yaml'));
  t.is(m.status, 3);
  t.is(m.end_time, 1_700_000_009_999);
  t.is(m.start_time, 1_700_000_000_000);
  t.is(m.run_name, 'renamed');
  for (const [status, code] of [
    ['FAILED', 4],
    ['KILLED', 5],
    ['RUNNING', 1],
  ] as const) {
    await store.updateRun(run, status, 1_700_000_010_000);
    t.is(parseMeta(read(runDir, 'meta.yaml')).status, code);
  }
  t.deepEqual(
    readdirSync(runDir).filter((e) => e.startsWith('.')),
    [],
    'no temporary files left',
  );
  await t.throwsAsync(store.updateRun(run, 'DONE' as never, 1), { message: /Invalid run status/ });
  await t.throwsAsync(store.updateRun('0'.repeat(32), 'FINISHED', 1), { message: /not found/ });
});

// ---------------------------------------------------------------------------
// Metrics, params, tags

test('metric lines: "<timestamp> <value> <step>", values as Python floats incl. nan and ±inf', async (t) => {
  const { store, run, runDir } = await newRun(t);
  const values: [number, string][] = [
    [0.5, '0.5'],
    [1, '1.0'],
    [-0, '-0.0'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1 / 3, '0.3333333333333333'],
    [1e16, '1e+16'],
    [1e15, '1000000000000000.0'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [2 ** 53, '9007199254740992.0'],
    [5e-324, '5e-324'],
    [-1.5e300, '-1.5e+300'],
    [NaN, 'nan'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
  ];
  await store.logBatch(run, {
    metrics: values.map(([value], i) => ({ key: 'loss', value, timestamp: 1_700_000_000_000 + i, step: i * 10 - 20 })),
    params: [],
    tags: [],
  });
  await store.logBatch(run, { metrics: [{ key: 'loss', value: 7, timestamp: 0, step: 2 ** 40 }], params: [], tags: [] });
  const text = read(runDir, 'metrics', 'loss');
  t.is(text.split('\n')[0], '1700000000000 0.5 -20');
  const lines = parseMetricFile(text);
  t.is(lines.length, values.length + 1);
  values.forEach(([value, repr], i) => {
    t.is(lines[i]!.valueText, repr);
    t.true(Object.is(lines[i]!.value, value), `${repr}`);
    t.is(lines[i]!.timestamp, 1_700_000_000_000 + i);
    t.is(lines[i]!.step, i * 10 - 20);
  });
  t.deepEqual(lines[values.length], { timestamp: 0, value: 7, valueText: '7.0', step: 2 ** 40 });

  await t.throwsAsync(store.logBatch(run, { metrics: [{ key: 'm', value: 1, timestamp: -1, step: 0 }], params: [], tags: [] }), {
    message: /Timestamp of metric "m"/,
  });
  await t.throwsAsync(store.logBatch(run, { metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0.5 }], params: [], tags: [] }), {
    message: /Step of metric "m"/,
  });
  await t.throwsAsync(store.logBatch(run, { metrics: [{ key: 'm', value: '1' as never, timestamp: 1, step: 0 }], params: [], tags: [] }), {
    message: /metric "m"/,
  });
  t.false(existsSync(join(runDir, 'metrics', 'm')));
});

test('params: the value as is; re-logging the same value is fine, another value is an error naming the key', async (t) => {
  const { store, run, runDir } = await newRun(t);
  await store.logBatch(run, {
    metrics: [],
    params: [
      { key: 'lr', value: '0.001' },
      { key: 'model/layers', value: '4' },
      { key: 'note', value: 'two\nlines ' },
      { key: 'empty', value: '' },
    ],
    tags: [],
  });
  t.is(read(runDir, 'params', 'lr'), '0.001', 'no trailing newline');
  t.is(read(runDir, 'params', 'model', 'layers'), '4', 'a "/" in a key is a sub-directory');
  t.is(read(runDir, 'params', 'note'), 'two\nlines ');
  t.is(read(runDir, 'params', 'empty'), '');
  await store.logBatch(run, { metrics: [], params: [{ key: 'lr', value: '0.001' }], tags: [] });

  const err = await t.throwsAsync(
    store.logBatch(run, { metrics: [{ key: 'after', value: 1, timestamp: 1, step: 0 }], params: [{ key: 'lr', value: '0.01' }], tags: [] }),
  );
  t.regex(err!.message, /Changing param values is not allowed\. Param with key="lr" was already logged with value="0\.001"/);
  t.is((err as { errorCode?: string }).errorCode, 'INVALID_PARAMETER_VALUE');
  t.is(read(runDir, 'params', 'lr'), '0.001');
  t.false(existsSync(join(runDir, 'metrics', 'after')), 'nothing of a rejected batch is written');

  await t.throwsAsync(
    store.logBatch(run, {
      metrics: [],
      params: [
        { key: 'dup', value: 'a' },
        { key: 'dup', value: 'b' },
      ],
      tags: [],
    }),
    { message: /Duplicate parameter key "dup"/ },
  );
  await store.logBatch(run, { metrics: [], params: [{ key: 'long', value: 'x'.repeat(7000) }], tags: [] });
  t.is(read(runDir, 'params', 'long').length, 6000, 'truncated to 6000 characters, as MLflow by default');
});

test('tags: overwritten; keys with "/" are sub-directories', async (t) => {
  const { store, run, runDir } = await newRun(t);
  await store.logBatch(run, {
    metrics: [],
    params: [],
    tags: [
      { key: 'team/owner/name', value: 'ml' },
      { key: 'stage', value: 'one' },
    ],
  });
  t.is(read(runDir, 'tags', 'team', 'owner', 'name'), 'ml');
  await store.logBatch(run, { metrics: [], params: [], tags: [{ key: 'stage', value: 'two' }] });
  t.is(read(runDir, 'tags', 'stage'), 'two');
  t.deepEqual(walk(join(runDir, 'tags')), ['mlflow.runName', 'stage', join('team', 'owner', 'name')]);
  await store.logBatch(run, { metrics: [], params: [], tags: [{ key: 'big', value: 'y'.repeat(9000) }] });
  t.is(read(runDir, 'tags', 'big').length, 8000);
});

test('keys are validated as MLflow validates them, with errors naming the key', async (t) => {
  const { store, run, runDir } = await newRun(t);
  const bad = ['../escape', '/abs', 'a//b', 'a/', './a', 'a/./b', 'a/../b', '..', '.', '', 'bad*char', 'semi;colon', 'new\nline', 'k'.repeat(251)];
  for (const key of bad) {
    const shown = JSON.stringify(key.length > 50 ? key.slice(0, 50) : key);
    const batches: [string, Batch][] = [
      ['metric', { metrics: [{ key, value: 1, timestamp: 1, step: 0 }], params: [], tags: [] }],
      ['param', { metrics: [], params: [{ key, value: 'v' }], tags: [] }],
      ['tag', { metrics: [], params: [], tags: [{ key, value: 'v' }] }],
    ];
    for (const [kind, batch] of batches) {
      const err = await t.throwsAsync(store.logBatch(run, batch), undefined, `${kind} ${shown}`);
      t.true(err!.message.includes(`Invalid ${kind} name ${shown}`), err!.message);
    }
  }
  t.deepEqual(walk(join(runDir, 'metrics')), []);
  t.deepEqual(walk(join(runDir, 'params')), []);
  const good = ['a:b', 'with space', 'üñí', 'k'.repeat(250), 'x-y_z.0/1'];
  await store.logBatch(run, { metrics: good.map((key) => ({ key, value: 1, timestamp: 1, step: 0 })), params: [], tags: [] });
  t.deepEqual(walk(join(runDir, 'metrics')), good.map((k) => join(...k.split('/'))).sort());
  await t.throwsAsync(store.logBatch('../../etc', { metrics: [], params: [], tags: [] }), { message: /Invalid run ID/ });
});

// ---------------------------------------------------------------------------
// Artifacts and inputs

test("artifacts: a file lands under artifactPath with its name, a directory's contents recursively", async (t) => {
  const { store, run, runDir } = await newRun(t);
  const src = tempDir(t, 'mlfs-src');
  writeFileSync(join(src, 'model.bin'), Buffer.from([0, 1, 2, 255]));
  mkdirSync(join(src, 'dir', 'sub', 'deeper'), { recursive: true });
  writeFileSync(join(src, 'dir', 'a.txt'), 'A');
  writeFileSync(join(src, 'dir', 'sub', 'b.txt'), 'B');
  writeFileSync(join(src, 'dir', 'sub', 'deeper', 'c.txt'), 'C');

  await store.logArtifact(run, join(src, 'model.bin'), '');
  await store.logArtifact(run, join(src, 'model.bin'), 'models/best');
  await store.logArtifact(run, join(src, 'dir'), 'tree');
  await store.logArtifact(run, join(src, 'dir', 'sub'), '');
  const art = join(runDir, 'artifacts');
  t.deepEqual(
    walk(art),
    [
      join('deeper', 'c.txt'),
      'b.txt',
      join('models', 'best', 'model.bin'),
      'model.bin',
      join('tree', 'a.txt'),
      join('tree', 'sub', 'b.txt'),
      join('tree', 'sub', 'deeper', 'c.txt'),
    ].sort(),
  );
  t.deepEqual(readFileSync(join(art, 'models', 'best', 'model.bin')), Buffer.from([0, 1, 2, 255]));
  t.is(read(art, 'tree', 'sub', 'deeper', 'c.txt'), 'C');
  t.true(Math.abs(statSync(join(art, 'model.bin')).mtimeMs - statSync(join(src, 'model.bin')).mtimeMs) < 1, 'modification time kept, as shutil.copy2');
  t.deepEqual(
    readdirSync(runDir).filter((e) => e.startsWith('.')),
    [],
    'no temporary files left',
  );

  for (const p of ['../out', '/abs', 'a/../b', 'a//b', 'a/']) {
    await t.throwsAsync(store.logArtifact(run, join(src, 'model.bin'), p), { message: /Invalid artifact path/ }, p);
  }
  await t.throwsAsync(store.logArtifact(run, join(src, 'missing'), ''), { message: /missing/ });
  await t.throwsAsync(store.logArtifact(run, runDir, 'self'), { message: /inside it/ });
});

test('createOrJoinRun: of 8 stores racing for one run id exactly one creates it, the others join; an unrelated or deleted run at that id is an error naming the fix', async (t) => {
  const root = join(tempDir(t, 'mlfs'), 'mlruns');
  const stores = Array.from({ length: 8 }, () => new FileStore(root));
  t.teardown(() => Promise.all(stores.map((s) => s.close())));
  const exp = await stores[0]!.getOrCreateExperiment('jobs');
  const id = 'a'.repeat(32);
  const identity = { key: 'ranklog.job', value: 'train' };
  const outcomes = await Promise.all(
    stores.map((s, i) =>
      s.createOrJoinRun(exp, id, { runName: 'train', startTime: 1_700_000_000_000 + i, tags: [identity, { key: 'who', value: String(i) }] }, identity),
    ),
  );
  t.is(outcomes.filter((o) => o === 'created').length, 1, outcomes.join(', '));
  t.deepEqual(readdirSync(join(root, exp)).sort(), [id, 'meta.yaml'].sort());
  const meta = parseMeta(read(root, exp, id, 'meta.yaml'));
  const winner = Number(read(root, exp, id, 'tags', 'who'));
  t.is(meta.start_time, 1_700_000_000_000 + winner, "the winner's run, written whole");
  t.is(outcomes[winner], 'created');
  // Every store can write into the run it joined.
  await Promise.all(stores.map((s, i) => s.logBatch(id, { metrics: [], params: [], tags: [{ key: `end.${i}`, value: 'x' }] })));
  t.is(Object.keys(await stores[3]!.getRunTags(id)).filter((k) => k.startsWith('end.')).length, 8);

  const other = { key: 'ranklog.job', value: 'another job' };
  await t.throwsAsync(stores[1]!.createOrJoinRun(exp, id, { runName: 'x', startTime: 1, tags: [other] }, other), {
    message:
      /Run a{32} .* is not the run this job shares: its ranklog\.job tag is "train", expected "another job"; choose another run name, or set RANKLOG_JOB/,
  });
  // MLflow's delete_run: the run stays, lifecycle_stage deleted.
  writeFileSync(join(root, exp, id, 'meta.yaml'), read(root, exp, id, 'meta.yaml').replace('lifecycle_stage: active', 'lifecycle_stage: deleted'));
  await t.throwsAsync(new FileStore(root).createOrJoinRun(exp, id, { runName: 'train', startTime: 1, tags: [identity] }, identity), {
    message: /is deleted: restore it \(mlflow runs restore --run-id a{32}\)/,
  });
});

test("inputs: datasets under the experiment, inputs under the run, ids as MLflow's md5s", async (t) => {
  const { root, store, exp, run, runDir } = await newRun(t);
  const ds = {
    name: 'mnist',
    digest: 'abc123',
    source: '{"uri": "/data/mnist"}',
    sourceType: 'local',
    schema: '{"mlflow_colspec": []}',
    tags: [{ key: 'mlflow.data.context', value: 'training' }],
  };
  await store.logInputs(run, [ds, { name: 'eval', digest: 'd2', source: 's3://b/eval', sourceType: 's3' }]);
  await store.logInputs(run, [ds]);
  const dsId = md5('mnist', 'abc123');
  const evalId = md5('eval', 'd2');
  t.deepEqual(readdirSync(join(root, exp, 'datasets')).sort(), [dsId, evalId].sort());
  const dsText = read(root, exp, 'datasets', dsId, 'meta.yaml');
  t.is(dsText, `digest: abc123\nname: mnist\nprofile: null\nschema: '{"mlflow_colspec": []}'\nsource: '{"uri": "/data/mnist"}'\nsource_type: local\n`);
  t.deepEqual(parseMeta(dsText), {
    digest: 'abc123',
    name: 'mnist',
    profile: null,
    schema: '{"mlflow_colspec": []}',
    source: '{"uri": "/data/mnist"}',
    source_type: 'local',
  });
  t.is(parseMeta(read(root, exp, 'datasets', evalId, 'meta.yaml')).schema, null);

  const inId = md5(dsId, run);
  t.deepEqual(readdirSync(join(runDir, 'inputs')).sort(), [inId, md5(evalId, run)].sort());
  const inText = read(runDir, 'inputs', inId, 'meta.yaml');
  t.is(inText, `destination_id: ${dsId}\ndestination_type: RUN\nsource_id: ${dsId}\nsource_type: DATASET\ntags:\n  mlflow.data.context: training\n`);
  t.deepEqual(parseMeta(read(runDir, 'inputs', md5(evalId, run), 'meta.yaml')).tags, {});
  await t.throwsAsync(store.logInputs(run, [{ ...ds, digest: 'x'.repeat(37) }]), { message: /Digest of dataset "mnist"/ });
});

// ---------------------------------------------------------------------------
// Ranks

test('4 ranks (processes) each log 10k points to their own run at once: all present', async (t) => {
  const root = join(tempDir(t, 'mlfs'), 'mlruns');
  const N = 10_000;
  const gate = startGate(4);
  const outs = await Promise.all([0, 1, 2, 3].map((rank) => runNode(t, [RANK_FIXTURE, root, 'job', String(rank), String(N)], process.env, gate.watch)));
  for (const o of outs) t.is(o.code, 0, o.stderr);
  const res = outs.map((o) => JSON.parse(lastLine(o.stdout)) as { experimentId: string; runId: string });
  t.is(new Set(res.map((r) => r.experimentId)).size, 1, 'one experiment');
  const exp = res[0]!.experimentId;
  t.deepEqual(readdirSync(join(root, exp)).sort(), ['meta.yaml', ...res.map((r) => r.runId)].sort());
  for (const [rank, { runId }] of res.entries()) {
    const runDir = join(root, exp, runId);
    const meta = parseMeta(read(runDir, 'meta.yaml'));
    t.is(meta.run_name, `rank-${rank}`);
    t.is(meta.status, 3);
    t.is(read(runDir, 'params', 'rank'), String(rank));
    t.is(read(runDir, 'tags', 'ranklog.rank'), String(rank));
    const loss = parseMetricFile(read(runDir, 'metrics', 'loss'));
    const lr = parseMetricFile(read(runDir, 'metrics', 'rank', 'lr'));
    t.is(loss.length, N);
    t.is(lr.length, N);
    let bad = 0;
    for (let i = 0; i < N; i++) {
      const l = loss[i]!;
      const expect = i % 1000 === 999 ? NaN : rank * 1e6 + i / 4;
      if (l.step !== i || l.timestamp !== 1_700_000_000_000 + i || !Object.is(l.value, expect)) bad++;
      if (lr[i]!.step !== i || lr[i]!.value !== 1 / (i + 1)) bad++;
    }
    t.is(bad, 0, `rank ${rank}: every point, in order`);
  }
});

// ---------------------------------------------------------------------------
// PyYAML, when present

test('every meta.yaml is byte for byte what PyYAML (as MLflow calls it) writes for the same data', async (t) => {
  const probe = spawnSync('python3', ['-c', 'import yaml; print(getattr(yaml, "__with_libyaml__", False))'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    t.log('python3 with PyYAML is not available here: skipped');
    t.pass();
    return;
  }
  const { root, store, exp, run } = await newRun(t, 'it\'s "odd": a #name');
  await store.logBatch(run, { metrics: [], params: [], tags: [{ key: 'mlflow.runName', value: 'x'.repeat(30) + ' y'.repeat(40) }] });
  await store.logInputs(run, [
    {
      name: 'd: 1',
      digest: '00',
      source: '{"a": [1]}',
      sourceType: 'local',
      tags: [
        { key: 'mlflow.data.context', value: 'eval' },
        { key: 'z', value: 'true' },
      ],
    },
  ]);
  const other = await store.createRun(exp, { runName: 'tab\there', startTime: 5, tags: [{ key: 'mlflow.user', value: 'üser' }] });
  await store.updateRun(other, 'KILLED', 6);
  const files = walk(root)
    .filter((f) => f.endsWith('meta.yaml'))
    .map((f) => join(root, f));
  t.true(files.length >= 6);
  const script = [
    'import sys, json, yaml',
    'Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)',
    'bad = []',
    'for f in json.loads(sys.stdin.read()):',
    '    text = open(f, encoding="utf-8").read()',
    '    data = yaml.safe_load(text)',
    '    again = yaml.dump(data, default_flow_style=False, allow_unicode=True, sort_keys=True, Dumper=Dumper)',
    '    if again != text: bad.append([f, text, again])',
    'print(json.dumps(bad))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script], { input: JSON.stringify(files), encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout), []);
});
