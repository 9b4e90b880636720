/**
 * Tests of the MLflow tracking-server double itself (@ranklog/mlflow-double in tools/mlflow-double),
 * with plain fetch / node:http: every rule it enforces, at the boundary, and every fault it can inject.
 * These keep the double honest; the @ranklog/mlflow tests rely on it.
 */
import test, { type ExecutionContext } from 'ava';
import * as http from 'node:http';
import { startMlflowDouble, type MlflowDouble, type MlflowDoubleOptions } from '@ranklog/mlflow-double';
import { LIVENESS_MS, waitFor } from './support/wait-for.js';

interface Answer {
  status: number;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: the server's JSON, read field by field by the tests
  json: any;
  headers: Headers;
}

async function open(t: ExecutionContext, opts?: MlflowDoubleOptions): Promise<MlflowDouble> {
  const d = await startMlflowDouble(opts);
  t.teardown(() => d.close());
  return d;
}

async function call(
  d: MlflowDouble,
  method: string,
  path: string,
  body?: unknown,
  init: { headers?: Record<string, string>; raw?: string | Uint8Array; contentType?: string | null } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  let payload: Uint8Array | undefined;
  if (init.raw !== undefined) payload = typeof init.raw === 'string' ? Buffer.from(init.raw) : init.raw;
  else if (body !== undefined) payload = Buffer.from(JSON.stringify(body));
  if (payload !== undefined && init.contentType !== null) headers['content-type'] = init.contentType ?? 'application/json';
  const url = path.startsWith('/') ? `${d.url}${path}` : `${d.url}/api/2.0/mlflow/${path}`;
  const res = await fetch(url, { method, headers, body: payload });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: see Answer.json
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}

const post = (d: MlflowDouble, path: string, body?: unknown, init?: Parameters<typeof call>[4]) => call(d, 'POST', path, body, init);
const get = (d: MlflowDouble, path: string) => call(d, 'GET', path);

async function newRun(d: MlflowDouble, experimentName = 'exp'): Promise<string> {
  let exp = d.experimentByName(experimentName)?.experiment_id;
  if (!exp) exp = (await post(d, 'experiments/create', { name: experimentName })).json.experiment_id as string;
  const r = await post(d, 'runs/create', { experiment_id: exp, start_time: Date.now(), tags: [] });
  return r.json.run.info.run_id as string;
}

const metric = (key: string, i = 0) => ({ key, value: i, timestamp: 1700000000000 + i, step: i });
const metrics = (n: number) => Array.from({ length: n }, (_, i) => metric(`m${i}`, i));
const params = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `p${i}`, value: String(i) }));
const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `t${i}`, value: String(i) }));

function expectError(t: ExecutionContext, a: Answer, status: number, code: string, fragment?: string | RegExp): void {
  t.is(a.status, status, a.text);
  t.is(a.json?.error_code, code, a.text);
  if (fragment !== undefined) {
    if (typeof fragment === 'string') t.true(a.json.message.includes(fragment), a.json.message);
    else t.regex(a.json.message, fragment);
  }
}

// ───────────────────────── experiments ─────────────────────────

test('experiments: create, get-by-name, get; duplicate name → 400 RESOURCE_ALREADY_EXISTS; unknown name → 404', async (t) => {
  const d = await open(t);
  t.regex(d.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const c = await post(d, 'experiments/create', { name: 'my_exp', tags: [{ key: 'team', value: 'a' }] });
  t.is(c.status, 200);
  t.deepEqual(c.json, { experiment_id: '1' });
  const byName = await get(d, 'experiments/get-by-name?experiment_name=my_exp');
  t.is(byName.status, 200);
  t.like(byName.json.experiment, { experiment_id: '1', name: 'my_exp', artifact_location: 'mlflow-artifacts:/1', lifecycle_stage: 'active' });
  t.deepEqual(byName.json.experiment.tags, [{ key: 'team', value: 'a' }]);
  const byId = await get(d, 'experiments/get?experiment_id=1');
  t.is(byId.json.experiment.name, 'my_exp');
  expectError(t, await post(d, 'experiments/create', { name: 'my_exp' }), 400, 'RESOURCE_ALREADY_EXISTS', 'already exists');
  expectError(t, await get(d, 'experiments/get-by-name?experiment_name=nope'), 404, 'RESOURCE_DOES_NOT_EXIST', "Could not find experiment with name 'nope'");
  expectError(t, await get(d, 'experiments/get?experiment_id=99'), 404, 'RESOURCE_DOES_NOT_EXIST');
  expectError(t, await get(d, 'experiments/get-by-name'), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'experiment_name'");
  expectError(t, await post(d, 'experiments/create', { name: '' }), 400, 'INVALID_PARAMETER_VALUE');
  // the Default experiment exists from the start
  t.is((await get(d, 'experiments/get?experiment_id=0')).json.experiment.name, 'Default');
  // also under /ajax-api
  t.is((await get(d, '/ajax-api/2.0/mlflow/experiments/get?experiment_id=1')).status, 200);
});

test('experiments: 8 concurrent creates of one name → exactly one 200, seven RESOURCE_ALREADY_EXISTS', async (t) => {
  const d = await open(t);
  const answers = await Promise.all(Array.from({ length: 8 }, () => post(d, 'experiments/create', { name: 'raced' })));
  const ok = answers.filter((a) => a.status === 200);
  t.is(ok.length, 1);
  t.is(answers.filter((a) => a.status === 400 && a.json.error_code === 'RESOURCE_ALREADY_EXISTS').length, 7);
  t.is([...d.experiments.values()].filter((e) => e.name === 'raced').length, 1);
});

test('experiments: the file-store flavour uses 18-digit string ids', async (t) => {
  const d = await open(t, { backend: 'file' });
  const id = (await post(d, 'experiments/create', { name: 'x' })).json.experiment_id;
  t.regex(id, /^[1-9]\d{17}$/);
});

// ───────────────────────── runs ─────────────────────────

test('runs: create returns the run (RUNNING, mlflow-artifacts URI, runName tag); get; update to FINISHED', async (t) => {
  const d = await open(t);
  const exp = (await post(d, 'experiments/create', { name: 'e' })).json.experiment_id;
  const c = await post(d, 'runs/create', {
    experiment_id: exp,
    user_id: 'alice',
    run_name: 'rank_0',
    start_time: 1700000000000,
    tags: [{ key: 'mlflow.parentRunId', value: 'abc' }],
  });
  t.is(c.status, 200, c.text);
  const info = c.json.run.info;
  t.regex(info.run_id, /^[0-9a-f]{32}$/);
  t.like(info, {
    run_uuid: info.run_id,
    experiment_id: exp,
    run_name: 'rank_0',
    user_id: 'alice',
    status: 'RUNNING',
    start_time: 1700000000000,
    artifact_uri: `mlflow-artifacts:/${exp}/${info.run_id}/artifacts`,
    lifecycle_stage: 'active',
  });
  t.false('end_time' in info);
  t.deepEqual(c.json.run.data.tags, [
    { key: 'mlflow.parentRunId', value: 'abc' },
    { key: 'mlflow.runName', value: 'rank_0' },
  ]);
  const g = await get(d, `runs/get?run_id=${info.run_id}`);
  t.deepEqual(g.json.run.info, info);
  const u = await post(d, 'runs/update', { run_id: info.run_id, status: 'FINISHED', end_time: 1700000001000 });
  t.is(u.status, 200);
  t.like(u.json.run_info, { status: 'FINISHED', end_time: 1700000001000 });
  t.is(d.run(info.run_id).info.status, 'FINISHED');
  // run_name and the mlflow.runName tag must agree
  expectError(
    t,
    await post(d, 'runs/create', { experiment_id: exp, run_name: 'a', tags: [{ key: 'mlflow.runName', value: 'b' }] }),
    400,
    'INVALID_PARAMETER_VALUE',
    'different values',
  );
  expectError(t, await post(d, 'runs/create', { experiment_id: '4242' }), 404, 'RESOURCE_DOES_NOT_EXIST');
});

test('runs: unknown run → 404 RESOURCE_DOES_NOT_EXIST on get, update, log-batch, get-history', async (t) => {
  const d = await open(t);
  const ghost = 'ffffffffffffffffffffffffffffffff';
  expectError(t, await get(d, `runs/get?run_id=${ghost}`), 404, 'RESOURCE_DOES_NOT_EXIST');
  expectError(t, await post(d, 'runs/update', { run_id: ghost, status: 'FINISHED' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  expectError(t, await post(d, 'runs/log-batch', { run_id: ghost, metrics: [metric('a')] }), 404, 'RESOURCE_DOES_NOT_EXIST');
  expectError(t, await get(d, `metrics/get-history?run_id=${ghost}&metric_key=a`), 404, 'RESOURCE_DOES_NOT_EXIST');
  expectError(t, await get(d, 'runs/get'), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'run_id'");
});

test('runs: a FINISHED/FAILED/KILLED run still accepts log-batch (check_run_is_active looks at the lifecycle stage); a deleted run → 400', async (t) => {
  const d = await open(t);
  const runId = await newRun(d);
  for (const status of ['FINISHED', 'FAILED', 'KILLED']) {
    t.is((await post(d, 'runs/update', { run_id: runId, status, end_time: 1 })).status, 200);
    const a = await post(d, 'runs/log-batch', { run_id: runId, metrics: [metric(`after_${status}`)] });
    t.is(a.status, 200, a.text);
  }
  t.is(d.run(runId).metrics.size, 3);
  t.is((await post(d, 'runs/delete', { run_id: runId })).status, 200);
  expectError(t, await post(d, 'runs/log-batch', { run_id: runId, metrics: [metric('x')] }), 400, 'INVALID_PARAMETER_VALUE', "'active'");
  expectError(t, await post(d, 'runs/update', { run_id: runId, status: 'RUNNING' }), 400, 'INVALID_PARAMETER_VALUE');
  t.is((await get(d, `runs/get?run_id=${runId}`)).json.run.info.lifecycle_stage, 'deleted');
});

test('runs: an unknown status in runs/update is dropped silently by the real server → 200 and a violation', async (t) => {
  const d = await open(t);
  const runId = await newRun(d);
  const a = await post(d, 'runs/update', { run_id: runId, status: 'DONE', end_time: 5 });
  t.is(a.status, 200);
  t.is(d.run(runId).info.status, 'RUNNING');
  t.is(d.run(runId).info.end_time, undefined, 'end_time came after the bad field, so it was never parsed');
  t.is(d.violations.length, 1);
  t.regex(d.violations[0]!, /status.*Invalid enum value DONE/);
});

// ───────────────────────── log-batch: limits ─────────────────────────

test('log-batch limits: 1000 metrics ok, 1001 rejected; 100 params / 101; 100 tags / 101; 1000 entities in all / 1001', async (t) => {
  const d = await open(t);
  const runId = await newRun(d);
  t.is((await post(d, 'runs/log-batch', { run_id: runId, metrics: metrics(1000) })).status, 200);
  expectError(t, await post(d, 'runs/log-batch', { run_id: runId, metrics: metrics(1001) }), 400, 'INVALID_PARAMETER_VALUE', 'at most 1000 metrics. Got 1001');
  t.is((await post(d, 'runs/log-batch', { run_id: runId, params: params(100) })).status, 200);
  expectError(t, await post(d, 'runs/log-batch', { run_id: runId, params: params(101) }), 400, 'INVALID_PARAMETER_VALUE', 'at most 100 params. Got 101');
  t.is((await post(d, 'runs/log-batch', { run_id: runId, tags: tags(100) })).status, 200);
  expectError(t, await post(d, 'runs/log-batch', { run_id: runId, tags: tags(101) }), 400, 'INVALID_PARAMETER_VALUE', 'at most 100 tags. Got 101');
  const run2 = await newRun(d);
  t.is((await post(d, 'runs/log-batch', { run_id: run2, metrics: metrics(900), params: params(50), tags: tags(50) })).status, 200);
  expectError(
    t,
    await post(d, 'runs/log-batch', { run_id: run2, metrics: metrics(900), params: params(50), tags: tags(51) }),
    400,
    'INVALID_PARAMETER_VALUE',
    'at most 1000 metrics, params, and tags. Got 1001',
  );
  t.is(d.run(runId).metrics.size, 1000);
  t.is(d.run(runId).params.size, 100);
  t.is(d.violations.length, 0);
});

test('log-batch: a body over the documented 1 MB is rejected (option enforceBatchBytes: false lets it through)', async (t) => {
  const d = await open(t);
  const runId = await newRun(d);
  const fat = Array.from({ length: 1000 }, (_, i) => ({ key: `${'k'.repeat(240)}${i}`, value: i, timestamp: 1, step: i, pad: 'x'.repeat(800) }));
  const a = await post(d, 'runs/log-batch', { run_id: runId, metrics: fat });
  expectError(t, a, 400, 'INVALID_PARAMETER_VALUE', 'must be at most 1000000 bytes');
  const lax = await open(t, { enforceBatchBytes: false });
  const r2 = await newRun(lax);
  t.is((await post(lax, 'runs/log-batch', { run_id: r2, metrics: fat })).status, 200);
  t.true(lax.violations.some((v) => v.includes('unknown field metrics[0].pad')));
});

// ───────────────────────── keys ─────────────────────────

test('keys: ^[/\\w.\\- :]*$ (Unicode \\w), at most 250 code points, unchanged by path normalisation', async (t) => {
  const d = await open(t);
  const runId = await newRun(d);
  const good = ['loss', 'train/loss', 'val acc', 'loss:train', 'a-b_c.d', 'σ_μ', 'é'.repeat(250), '𝒳'.repeat(250), 'rank_0/epoch.loss'];
  for (const key of good) {
    const a = await post(d, 'runs/log-batch', {
      run_id: runId,
      metrics: [{ key, value: 1, timestamp: 1 }],
      params: [{ key, value: 'v' }],
      tags: [{ key, value: 'v' }],
    });
    t.is(a.status, 200, `${key}: ${a.text}`);
  }
  const badChars = ['a!b', 'a#b', 'tab\there', 'a,b', 'e\u0301' /* combining mark is not \w */, '🙂'];
  const badPaths = ['..', '../a', 'a/../b', 'a//b', '/a', 'a/', './a', '.', 'a/./b'];
  for (const key of [...badChars, ...badPaths]) {
    for (const body of [
      { run_id: runId, metrics: [{ key, value: 1, timestamp: 1 }] },
      { run_id: runId, params: [{ key, value: 'v' }] },
      { run_id: runId, tags: [{ key, value: 'v' }] },
    ]) {
      expectError(
        t,
        await post(d, 'runs/log-batch', body),
        400,
        'INVALID_PARAMETER_VALUE',
        badPaths.includes(key) ? 'must not resolve to other names' : 'Names may only contain',
      );
    }
  }
  expectError(
    t,
    await post(d, 'runs/log-batch', { run_id: runId, metrics: [{ key: 'é'.repeat(251), value: 1, timestamp: 1 }] }),
    400,
    'INVALID_PARAMETER_VALUE',
    '250',
  );
  expectError(t, await post(d, 'runs/log-batch', { run_id: runId, params: [{ key: 'k'.repeat(251), value: '1' }] }), 400, 'INVALID_PARAMETER_VALUE', '250');
  expectError(t, await post(d, 'runs/log-batch', { run_id: runId, tags: [{ key: 'k'.repeat(251), value: '1' }] }), 400, 'INVALID_PARAMETER_VALUE', '250');
  expectError(
    t,
    await post(d, 'runs/log-batch', { run_id: runId, metrics: [{ key: '', value: 1, timestamp: 1 }] }),
    400,
    'INVALID_PARAMETER_VALUE',
    "'metrics[0].key'",
  );
  t.is(d.violations.length, 0);
});

// ───────────────────────── values ─────────────────────────

test('param values up to 6000 and tag values up to 8000 characters; longer ones rejected (default) and reported as violations', async (t) => {
  const d = await open(t);
  const runId = await newRun(d);
  t.is(
    (await post(d, 'runs/log-batch', { run_id: runId, params: [{ key: 'p', value: '€'.repeat(6000) }], tags: [{ key: 't', value: '€'.repeat(8000) }] })).status,
    200,
  );
  t.is(d.violations.length, 0);
  expectError(
    t,
    await post(d, 'runs/log-batch', { run_id: runId, params: [{ key: 'p2', value: 'x'.repeat(6001) }] }),
    400,
    'INVALID_PARAMETER_VALUE',
    "'Param value' exceeds the maximum length of 6000",
  );
  expectError(
    t,
    await post(d, 'runs/log-batch', { run_id: runId, tags: [{ key: 't2', value: 'x'.repeat(8001) }] }),
    400,
    'INVALID_PARAMETER_VALUE',
    'maximum length of 8000',
  );
  t.is(d.violations.length, 2);
  t.false(d.run(runId).params.has('p2'));
});

test('longValues: "truncate" stores the first 6000 / 8000 characters like a default server, and records the violation', async (t) => {
  const d = await open(t, { longValues: 'truncate' });
  const runId = await newRun(d);
  const a = await post(d, 'runs/log-batch', { run_id: runId, params: [{ key: 'p', value: '𝒳'.repeat(6005) }], tags: [{ key: 't', value: 'y'.repeat(9000) }] });
  t.is(a.status, 200);
  t.is(d.run(runId).params.get('p'), '𝒳'.repeat(6000));
  t.is(d.run(runId).tags.get('t'), 'y'.repeat(8000));
  t.is(d.violations.length, 2);
  t.regex(d.violations[0]!, /truncates it to 6000/);
});

test('params: re-logging the same value is fine, another value → 400 INVALID_PARAMETER_VALUE and nothing of that batch is written', async (t) => {
  const d = await open(t);
  const runId = await newRun(d);
  t.is((await post(d, 'runs/log-batch', { run_id: runId, params: [{ key: 'lr', value: '0.1' }] })).status, 200);
  t.is((await post(d, 'runs/log-batch', { run_id: runId, params: [{ key: 'lr', value: '0.1' }] })).status, 200);
  const a = await post(d, 'runs/log-batch', {
    run_id: runId,
    params: [
      { key: 'new', value: '1' },
      { key: 'lr', value: '0.2' },
    ],
    metrics: [metric('loss')],
  });
  expectError(t, a, 400, 'INVALID_PARAMETER_VALUE', 'Changing param values is not allowed');
  t.deepEqual(d.run(runId).data.params, { lr: '0.1' });
  t.is(d.run(runId).metrics.size, 0);
  // the single-param endpoint agrees
  expectError(t, await post(d, 'runs/log-parameter', { run_id: runId, key: 'lr', value: '0.3' }), 400, 'INVALID_PARAMETER_VALUE');
  t.is((await post(d, 'runs/log-parameter', { run_id: runId, key: 'lr', value: '0.1' })).status, 200);
});

test('params: the file-store flavour answers a changed param in log-batch with 500 INTERNAL_ERROR, after writing the params before it', async (t) => {
  const d = await open(t, { backend: 'file' });
  const runId = await newRun(d);
  t.is((await post(d, 'runs/log-batch', { run_id: runId, params: [{ key: 'lr', value: '0.1' }] })).status, 200);
  const a = await post(d, 'runs/log-batch', {
    run_id: runId,
    params: [
      { key: 'new', value: '1' },
      { key: 'lr', value: '0.2' },
    ],
  });
  expectError(t, a, 500, 'INTERNAL_ERROR', 'Changing param values is not allowed');
  t.deepEqual(d.run(runId).data.params, { lr: '0.1', new: '1' });
});

test('params: a key twice in one batch → 400 INVALID_PARAMETER_VALUE (even with equal values)', async (t) => {
  const d = await open(t);
  const runId = await newRun(d);
  const body = {
    run_id: runId,
    params: [
      { key: 'a', value: '1' },
      { key: 'a', value: '1' },
    ],
  };
  expectError(t, await post(d, 'runs/log-batch', body), 400, 'INVALID_PARAMETER_VALUE', "Duplicate parameter keys have been submitted: ['a']");
  t.is(d.run(runId).params.size, 0);
});

test('metric values: "NaN", "Infinity", "-Infinity" strings are stored as such and read back as strings', async (t) => {
  const d = await open(t, { backend: 'file' });
  const runId = await newRun(d);
  const raw = `{"run_id": "${runId}", "metrics": [
    {"key": "v", "value": "NaN", "timestamp": 1, "step": 0},
    {"key": "v", "value": "Infinity", "timestamp": 2, "step": 1},
    {"key": "v", "value": "-Infinity", "timestamp": 3, "step": 2},
    {"key": "v", "value": 1.5, "timestamp": 4, "step": 3}]}`;
  t.is((await post(d, 'runs/log-batch', undefined, { raw })).status, 200);
  const values = d
    .run(runId)
    .metrics.get('v')!
    .map((p) => p.value);
  t.true(Number.isNaN(values[0]));
  t.deepEqual(values.slice(1), [Infinity, -Infinity, 1.5]);
  const h = await get(d, `metrics/get-history?run_id=${runId}&metric_key=v`);
  t.deepEqual(
    h.json.metrics.map((m: { value: unknown }) => m.value),
    ['NaN', 'Infinity', '-Infinity', 1.5],
  );
  t.is(d.violations.length, 0);
});

test('metric values: a SQL store reads ±Infinity back as ±1.7976931348623157e308 (a note, not a violation)', async (t) => {
  const d = await open(t);
  const runId = await newRun(d);
  t.is((await post(d, 'runs/log-batch', { run_id: runId, metrics: [{ key: 'v', value: 'Infinity', timestamp: 1 }] })).status, 200);
  const h = await get(d, `metrics/get-history?run_id=${runId}&metric_key=v`);
  t.is(h.json.metrics[0].value, 1.7976931348623157e308);
  t.is(d.run(runId).metrics.get('v')![0]!.value, Infinity);
  t.is(d.notes.length, 1);
  t.is(d.violations.length, 0);
});

test('metric values: a bare NaN token is accepted (200) but stored as 0 and the rest of the request dropped — recorded as a violation', async (t) => {
  const d = await open(t);
  const runId = await newRun(d);
  const raw = `{"run_id": "${runId}", "metrics": [
    {"key": "ok", "value": 1, "timestamp": 10, "step": 1},
    {"key": "bad", "value": NaN, "timestamp": 11, "step": 2},
    {"key": "lost", "value": 3, "timestamp": 12, "step": 3}],
    "params": [{"key": "lost_param", "value": "x"}]}`;
  const a = await post(d, 'runs/log-batch', undefined, { raw });
  t.is(a.status, 200);
  const run = d.run(runId);
  t.deepEqual(run.metrics.get('ok'), [{ value: 1, timestamp: 10, step: 1 }]);
  t.deepEqual(run.metrics.get('bad'), [{ value: 0, timestamp: 0, step: 0 }]);
  t.false(run.metrics.has('lost'));
  t.is(run.params.size, 0);
  t.is(d.violations.length, 1);
  t.regex(d.violations[0]!, /metrics\[1\]\.value: Couldn't parse NaN/);
  // Infinity and -Infinity tokens likewise
  for (const token of ['Infinity', '-Infinity']) {
    const b = await post(d, 'runs/log-batch', undefined, { raw: `{"run_id": "${runId}", "metrics": [{"key": "i", "value": ${token}, "timestamp": 1}]}` });
    t.is(b.status, 200);
  }
  t.is(d.violations.length, 3);
});

test('metric fields: timestamp required and ≥ 0; step an int64 (number or string, exact beyond 2^53); value required', async (t) => {
  const d = await open(t);
  const runId = await newRun(d);
  expectError(
    t,
    await post(d, 'runs/log-batch', { run_id: runId, metrics: [{ key: 'a', value: 1 }] }),
    400,
    'INVALID_PARAMETER_VALUE',
    "'metrics[0].timestamp'",
  );
  expectError(
    t,
    await post(d, 'runs/log-batch', { run_id: runId, metrics: [{ key: 'a', timestamp: 1 }] }),
    400,
    'INVALID_PARAMETER_VALUE',
    "'metrics[0].value'",
  );
  expectError(
    t,
    await post(d, 'runs/log-batch', { run_id: runId, metrics: [{ key: 'a', value: 1, timestamp: -1 }] }),
    400,
    'INVALID_PARAMETER_VALUE',
    'nonnegative',
  );
  t.is((await post(d, 'runs/log-batch', { run_id: runId, metrics: [{ key: 'a', value: 1, timestamp: 0 }] })).status, 200);
  t.is((await post(d, 'runs/log-batch', { run_id: runId, metrics: [{ key: 's', value: 1, timestamp: '5', step: '12' }] })).status, 200);
  t.deepEqual(d.run(runId).metrics.get('s'), [{ value: 1, timestamp: 5, step: 12 }]);
  const raw = `{"run_id": "${runId}", "metrics": [{"key": "big", "value": 1, "timestamp": 1, "step": 9007199254740993}, {"key": "big", "value": 2, "timestamp": 1, "step": "-9223372036854775808"}]}`;
  t.is((await post(d, 'runs/log-batch', undefined, { raw })).status, 200);
  t.deepEqual(
    d
      .run(runId)
      .metrics.get('big')!
      .map((p) => p.step),
    [9007199254740993n, -9223372036854775808n],
  );
  const h = await get(d, `metrics/get-history?run_id=${runId}&metric_key=big`);
  t.true(h.text.includes('"step": 9007199254740993'), h.text);
  t.is(d.violations.length, 0);
  // out of int64 range or not an integer: the real server drops it silently (violation)
  t.is(
    (
      await post(d, 'runs/log-batch', undefined, {
        raw: `{"run_id": "${runId}", "metrics": [{"key": "o", "value": 1, "timestamp": 1, "step": 9223372036854775808}]}`,
      })
    ).status,
    200,
  );
  t.is((await post(d, 'runs/log-batch', { run_id: runId, metrics: [{ key: 'f', value: 1, timestamp: 1.5 }] })).status, 200);
  t.is(d.violations.length, 2);
  t.deepEqual(d.run(runId).metrics.get('f'), [{ value: 1, timestamp: 0, step: 0 }]);
});

test('run data: the latest metric per key is the max of (step, timestamp, value); exact duplicates are counted', async (t) => {
  const d = await open(t);
  const runId = await newRun(d);
  const ms = [
    { key: 'loss', value: 3, timestamp: 30, step: 1 },
    { key: 'loss', value: 2, timestamp: 20, step: 2 },
    { key: 'loss', value: 9, timestamp: 99, step: 0 },
    { key: 'loss', value: 2, timestamp: 20, step: 2 },
  ];
  t.is((await post(d, 'runs/log-batch', { run_id: runId, metrics: ms })).status, 200);
  const g = await get(d, `runs/get?run_id=${runId}`);
  t.deepEqual(g.json.run.data.metrics, [{ key: 'loss', value: 2, timestamp: 20, step: 2 }]);
  t.is(d.run(runId).metrics.get('loss')!.length, 4, 'raw arrival order keeps everything');
  t.is(d.run(runId).duplicatePoints, 1);
  const h = await get(d, `metrics/get-history?run_id=${runId}&metric_key=loss`);
  t.is(h.json.metrics.length, 3, 'a SQL store drops the exact duplicate');
  t.deepEqual(await get(d, `metrics/get-history?run_id=${runId}&metric_key=none`).then((a) => a.json), {});
});

// ───────────────────────── request format ─────────────────────────

test('Content-Type: missing or not application/json on a POST → 400 INVALID_PARAMETER_VALUE; a charset parameter is fine', async (t) => {
  const d = await open(t);
  const runId = await newRun(d);
  const body = { run_id: runId, metrics: [metric('a')] };
  expectError(t, await post(d, 'runs/log-batch', body, { contentType: null }), 400, 'INVALID_PARAMETER_VALUE', 'Content-Type header is missing');
  expectError(
    t,
    await post(d, 'runs/log-batch', body, { contentType: 'text/plain' }),
    400,
    'INVALID_PARAMETER_VALUE',
    "Content-Type must be one of ['application/json']",
  );
  t.is((await post(d, 'runs/log-batch', body, { contentType: 'application/json; charset=utf-8' })).status, 200);
  expectError(t, await post(d, 'experiments/create', { name: 'z' }, { contentType: null }), 400, 'INVALID_PARAMETER_VALUE');
});

test('invalid JSON: log-batch → 500 (uncaught TypeError in the real server); other endpoints read it as {} — both violations', async (t) => {
  const d = await open(t);
  const runId = await newRun(d);
  const a = await post(d, 'runs/log-batch', undefined, { raw: `{"run_id": "${runId}", ` });
  t.is(a.status, 500);
  t.regex(a.headers.get('content-type') ?? '', /text\/html/);
  const b = await post(d, 'runs/update', undefined, { raw: '{not json' });
  expectError(t, b, 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'run_id'");
  t.is(d.violations.length, 3);
  t.true(d.violations.every((v) => /not valid JSON|TypeError|not a JSON/.test(v)));
});

test('unknown fields and nulls are ignored by the real server → 200 and violations', async (t) => {
  const d = await open(t);
  const runId = await newRun(d);
  const a = await post(d, 'runs/log-batch', { run_id: runId, metric: [metric('typo')], metrics: [{ key: 'a', value: 1, timestamp: 1, step: null }] });
  t.is(a.status, 200);
  t.false(d.run(runId).metrics.has('typo'));
  t.deepEqual(d.run(runId).metrics.get('a'), [{ value: 1, timestamp: 1, step: 0 }]);
  t.is(d.violations.length, 2);
  t.regex(d.violations[0]!, /unknown field metric /);
  t.regex(d.violations[1]!, /null at metrics\[0\]\.step/);
});

test('a param value sent as a number is a protobuf parse error: the real server silently drops it (violation)', async (t) => {
  const d = await open(t);
  const runId = await newRun(d);
  const a = await post(d, 'runs/log-batch', { run_id: runId, params: [{ key: 'lr', value: 0.1 }] });
  t.is(a.status, 200);
  t.deepEqual(d.run(runId).data.params, { lr: '' });
  t.is(d.violations.length, 1);
});

// ───────────────────────── log-inputs, search ─────────────────────────

test('log-inputs: datasets appear under run.inputs, repeats are ignored, a digest over 36 characters → 400', async (t) => {
  const d = await open(t);
  const runId = await newRun(d);
  const dataset = { name: 'mnist', digest: 'abc123', source_type: 'local', source: '{"uri": "/data/mnist"}', schema: '{"mlflow_colspec": []}' };
  const body = { run_id: runId, datasets: [{ tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset }] };
  t.is((await post(d, 'runs/log-inputs', body)).status, 200);
  t.is((await post(d, 'runs/log-inputs', body)).status, 200);
  const g = await get(d, `runs/get?run_id=${runId}`);
  t.deepEqual(g.json.run.inputs.dataset_inputs, [{ dataset, tags: [{ key: 'mlflow.data.context', value: 'training' }] }]);
  t.is(d.run(runId).inputs.length, 1);
  expectError(
    t,
    await post(d, 'runs/log-inputs', { run_id: runId, datasets: [{ dataset: { ...dataset, digest: 'x'.repeat(37) } }] }),
    400,
    'INVALID_PARAMETER_VALUE',
    "'digest' exceeds the maximum length of 36",
  );
  t.is(d.violations.length, 0);
});

test('runs/search: by tag (plain or backquoted key) and by attributes.run_name; {} when nothing matches', async (t) => {
  const d = await open(t);
  const exp = (await post(d, 'experiments/create', { name: 'job' })).json.experiment_id;
  const parent = (await post(d, 'runs/create', { experiment_id: exp, run_name: 'parent', start_time: 1, tags: [{ key: 'ranklog.job_id', value: 'J1' }] })).json
    .run.info.run_id;
  await post(d, 'runs/create', { experiment_id: exp, run_name: 'rank_0', start_time: 2, tags: [{ key: 'mlflow.parentRunId', value: parent }] });
  const byTag = await post(d, 'runs/search', { experiment_ids: [exp], filter: "tags.`ranklog.job_id` = 'J1'", max_results: 10 });
  t.deepEqual(
    byTag.json.runs.map((r: { info: { run_id: string } }) => r.info.run_id),
    [parent],
  );
  const plain = await post(d, 'runs/search', { experiment_ids: [exp], filter: "tags.mlflow.parentRunId = '" + parent + "'" });
  t.deepEqual(
    plain.json.runs.map((r: { info: { run_name: string } }) => r.info.run_name),
    ['rank_0'],
  );
  const byName = await post(d, 'runs/search', { experiment_ids: [exp], filter: "attributes.run_name = 'parent' and tags.ranklog.job_id = 'J1'" });
  t.is(byName.json.runs.length, 1);
  const all = await post(d, 'runs/search', { experiment_ids: [exp] });
  t.deepEqual(
    all.json.runs.map((r: { info: { run_name: string } }) => r.info.run_name),
    ['rank_0', 'parent'],
    'newest start_time first',
  );
  t.deepEqual((await post(d, 'runs/search', { experiment_ids: [exp], filter: "tags.x = 'none'" })).json, {});
  expectError(t, await post(d, 'runs/search', { experiment_ids: [exp], filter: 'metrics.loss < 1' }), 400, 'INVALID_PARAMETER_VALUE');
  t.true(d.violations.some((v) => v.includes('DOUBLE LIMITATION')));
});

// ───────────────────────── artifacts ─────────────────────────

test('artifact proxy: PUT stores bytes, GET returns them, list gives basenames; paths escaping the root → 400', async (t) => {
  const d = await open(t);
  const runId = await newRun(d);
  const root = proxiedRootOf(d, runId);
  const bytes = Buffer.from([0, 1, 2, 250, 255]);
  const put = await fetch(`${d.url}/api/2.0/mlflow-artifacts/artifacts/${root}/model/weights.bin`, { method: 'PUT', body: bytes });
  t.is(put.status, 200);
  t.deepEqual(await put.json(), {});
  const got = await fetch(`${d.url}/api/2.0/mlflow-artifacts/artifacts/${root}/model/weights.bin`);
  t.is(got.status, 200);
  t.deepEqual(Buffer.from(await got.arrayBuffer()), bytes);
  t.deepEqual(d.run(runId).artifacts.get('model/weights.bin'), bytes);
  const top = await get(d, `/api/2.0/mlflow-artifacts/artifacts?path=${root}`);
  t.deepEqual(top.json, { files: [{ path: 'model', is_dir: true }] });
  const inner = await get(d, `/api/2.0/mlflow-artifacts/artifacts?path=${root}/model`);
  t.deepEqual(inner.json, { files: [{ path: 'weights.bin', is_dir: false, file_size: 5 }] });
  const viaRun = await get(d, `artifacts/list?run_id=${runId}&path=model`);
  t.deepEqual(viaRun.json, { root_uri: d.run(runId).info.artifact_uri, files: [{ path: 'model/weights.bin', is_dir: false, file_size: 5 }] });
  expectError(t, await get(d, `/api/2.0/mlflow-artifacts/artifacts?path=${root}/../x`), 400, 'INVALID_PARAMETER_VALUE', 'Invalid path');
  const sneaky = await fetch(`${d.url}/api/2.0/mlflow-artifacts/artifacts/${root}/%252E%252E/%252E%252E/x`, { method: 'PUT', body: bytes });
  t.is(sneaky.status, 400);
  expectError(t, await get(d, `/api/2.0/mlflow-artifacts/artifacts/${root}/missing.txt`), 500, 'INTERNAL_ERROR');
});

function proxiedRootOf(d: MlflowDouble, runId: string): string {
  return d.run(runId).info.artifact_uri.replace(/^mlflow-artifacts:\/+/, '');
}

// ───────────────────────── auth ─────────────────────────

test('auth (basic): no or wrong credentials → 401 with WWW-Authenticate; right ones pass; /health is open; the log keeps no secret', async (t) => {
  const d = await open(t, { auth: { basic: { user: 'u', password: 'secret-pw' } } });
  const none = await get(d, 'experiments/get?experiment_id=0');
  t.is(none.status, 401);
  t.is(none.headers.get('www-authenticate'), 'Basic realm="mlflow"');
  const wrong = await call(d, 'GET', 'experiments/get?experiment_id=0', undefined, {
    headers: { authorization: `Basic ${Buffer.from('u:nope').toString('base64')}` },
  });
  t.is(wrong.status, 401);
  const right = await call(d, 'GET', 'experiments/get?experiment_id=0', undefined, {
    headers: { authorization: `Basic ${Buffer.from('u:secret-pw').toString('base64')}` },
  });
  t.is(right.status, 200);
  t.is((await get(d, '/health')).status, 200);
  t.is(d.counts.unauthorized, 2);
  t.deepEqual(
    d.requests.map((r) => r.auth),
    [
      { present: false, scheme: undefined },
      { present: true, scheme: 'Basic' },
      { present: true, scheme: 'Basic' },
      { present: false, scheme: undefined },
    ],
  );
  t.false(JSON.stringify(d.requests).includes(Buffer.from('u:secret-pw').toString('base64')));
  t.false(d.requests.some((r) => 'authorization' in r.headers));
});

test('auth (bearer): the right token passes, anything else → 401', async (t) => {
  const d = await open(t, { auth: { bearer: 'tok-123' } });
  t.is((await get(d, 'experiments/get?experiment_id=0')).status, 401);
  t.is((await call(d, 'GET', 'experiments/get?experiment_id=0', undefined, { headers: { authorization: 'Bearer nope' } })).status, 401);
  t.is((await call(d, 'GET', 'experiments/get?experiment_id=0', undefined, { headers: { authorization: 'Bearer tok-123' } })).status, 200);
});

// ───────────────────────── faults ─────────────────────────

async function fetchError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? String(e);
  }
  return 'no error';
}

test('faults: refuseConnections → ECONNREFUSED; turning it off listens again on the same port', async (t) => {
  const d = await open(t);
  const port = d.port;
  t.is((await get(d, 'experiments/get?experiment_id=0')).status, 200);
  await d.refuseConnections(true);
  t.false(d.listening);
  const code = await fetchError(get(d, 'experiments/get?experiment_id=0'));
  t.true(['ECONNREFUSED', 'UND_ERR_SOCKET', 'ECONNRESET'].includes(code), code);
  t.is(await fetchError(get(d, 'experiments/get?experiment_id=0')), 'ECONNREFUSED');
  await d.refuseConnections(false);
  t.is(d.port, port);
  t.is((await get(d, 'experiments/get?experiment_id=0')).status, 200);
});

test('faults: refuseConnections(true, "reset") keeps listening but resets every connection', async (t) => {
  const d = await open(t);
  await d.refuseConnections(true, 'reset');
  t.true(d.listening);
  const code = await fetchError(get(d, 'experiments/get?experiment_id=0'));
  t.true(['ECONNRESET', 'UND_ERR_SOCKET', 'other side closed'].includes(code), code);
  t.true((d.counts.resets ?? 0) >= 1);
  await d.refuseConnections(false);
  t.is((await get(d, 'experiments/get?experiment_id=0')).status, 200);
});

test('faults: failWith(503, 2) answers two 503s (nothing applied), then the real thing; 429 carries Retry-After', async (t) => {
  const d = await open(t);
  d.failWith(503, 2);
  const a = await post(d, 'experiments/create', { name: 'x' });
  expectError(t, a, 503, 'TEMPORARILY_UNAVAILABLE');
  expectError(t, await post(d, 'experiments/create', { name: 'x' }), 503, 'TEMPORARILY_UNAVAILABLE');
  t.is(d.experiments.size, 1, 'only Default: the faulted requests were not applied');
  t.is((await post(d, 'experiments/create', { name: 'x' })).status, 200);
  d.failWith(429, 1, { retryAfter: 7 });
  const limited = await post(d, 'experiments/create', { name: 'y' });
  t.is(limited.status, 429);
  t.is(limited.headers.get('retry-after'), '7');
  d.failWith(500, Infinity, { match: (r) => r.endpoint === 'runs/log-batch' });
  const runId = await newRun(d);
  t.is((await post(d, 'runs/log-batch', { run_id: runId, metrics: [metric('a')] })).status, 500);
  t.is((await get(d, `runs/get?run_id=${runId}`)).status, 200, 'other endpoints unaffected');
  d.clearFaults();
  t.is((await post(d, 'runs/log-batch', { run_id: runId, metrics: [metric('a')] })).status, 200);
  t.deepEqual(
    d.requests.filter((r) => r.outcome === 'injected-status').map((r) => r.status),
    [503, 503, 429, 500],
  );
});

test('faults: afterApply — the request takes effect but the client gets a 503 or a reset (a lost answer)', async (t) => {
  const d = await open(t);
  const runId = await newRun(d);
  d.failWith(503, 1, { afterApply: true });
  t.is((await post(d, 'runs/log-batch', { run_id: runId, metrics: [metric('a', 1)] })).status, 503);
  d.resetNext(1, { afterApply: true });
  t.not(await fetchError(post(d, 'runs/log-batch', { run_id: runId, metrics: [metric('a', 2)] })), 'no error');
  t.is(d.run(runId).metrics.get('a')!.length, 2);
  t.deepEqual(
    d.requestsTo('runs/log-batch').map((r) => [r.applied, r.outcome]),
    [
      [true, 'injected-status'],
      [true, 'injected-reset'],
    ],
  );
  d.resetNext(1);
  t.not(await fetchError(post(d, 'runs/log-batch', { run_id: runId, metrics: [metric('a', 3)] })), 'no error');
  t.is(d.run(runId).metrics.get('a')!.length, 2, 'a plain reset is not applied');
});

test('faults: delay(ms) answers slowly', async (t) => {
  const d = await open(t);
  d.delay(800);
  const t0 = performance.now();
  t.is((await get(d, 'experiments/get?experiment_id=0')).status, 200);
  // A lower bound (the timer cannot fire early; a loaded machine only makes it later). Broken: no delay at all.
  t.true(performance.now() - t0 >= 780);
  // delay(0) removes every delay: an answer held back 10 minutes would lose the race against the generous 30 s bound.
  d.delay(600_000);
  d.delay(0);
  const answer = get(d, 'experiments/get?experiment_id=0').then((r) => r.status);
  t.is(await Promise.race([answer, new Promise((r) => setTimeout(r, LIVENESS_MS, 'still delayed'))]), 200);
  // Only matching requests, and after the handler ran: held back 10 minutes, the experiment exists while
  // the answer has not come; delay(0) then lets the waiting answer go.
  d.delay(600_000, { match: (r) => r.endpoint === 'experiments/create', afterApply: true });
  let answered = false;
  const pending = post(d, 'experiments/create', { name: 'slow' }).then((r) => {
    answered = true;
    return r;
  });
  pending.catch(() => undefined); // a failing test closes the double under it: not an unhandled rejection then
  t.true(await waitFor(() => d.experimentByName('slow') !== undefined), 'the request was applied');
  t.is(d.delayedRequests, 1);
  t.false(answered, 'answered before the delay was over');
  t.is((await get(d, 'experiments/get?experiment_id=0')).status, 200, 'a request that does not match is not delayed');
  d.delay(0);
  t.is(
    await Promise.race([pending.then((r) => r.status), new Promise((r) => setTimeout(r, LIVENESS_MS, 'still delayed'))]),
    200,
    'delay(0) let the waiting answer go',
  );
  t.is(d.delayedRequests, 0);
});

test('faults: stop() then restart() on the same port keeps the data; requests in between fail', async (t) => {
  const d = await open(t);
  const runId = await newRun(d);
  const port = d.port;
  await d.stop();
  // a pooled keep-alive socket may report its own closing first; a fresh connection is refused
  const first = await fetchError(get(d, `runs/get?run_id=${runId}`));
  t.true(['ECONNREFUSED', 'UND_ERR_SOCKET', 'ECONNRESET'].includes(first), first);
  t.is(await fetchError(get(d, `runs/get?run_id=${runId}`)), 'ECONNREFUSED');
  await d.restart();
  t.is(d.port, port);
  const g = await get(d, `runs/get?run_id=${runId}`);
  t.is(g.status, 200);
  // A request in flight when the server stops is lost, not applied: it waits out a 10-minute delay
  // (so it is certainly in flight), the server stops, and delay(0) lets its handler find the server gone.
  d.delay(600_000);
  const pending = fetchError(post(d, 'runs/log-batch', { run_id: runId, metrics: [metric('lost')] }));
  t.true(await waitFor(() => d.delayedRequests === 1), 'the request reached the server');
  await d.stop();
  t.not(await pending, 'no error');
  d.delay(0);
  await d.restart();
  t.true(await waitFor(() => d.requestsTo('runs/log-batch')[0]?.outcome !== undefined), 'the delayed handler went on');
  t.false(d.run(runId).metrics.has('lost'));
  t.is(d.requestsTo('runs/log-batch')[0]!.outcome, 'lost');
});

// ───────────────────────── connections ─────────────────────────

function rawGet(agent: http.Agent, port: number, path: string): Promise<{ status: number; connection?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
    });
    req.on('error', reject);
  });
}

test('keep-alive: sequential requests on a keep-alive agent share one connection; keepAlive: false closes after each answer', async (t) => {
  const d = await open(t, { keepAliveTimeoutMs: 600_000 }); // no idle close, however long a loaded machine pauses between requests
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  for (let i = 0; i < 5; i++) t.is((await rawGet(agent, d.port, '/api/2.0/mlflow/experiments/get?experiment_id=0')).status, 200);
  t.is(d.connections, 1);
  t.deepEqual(new Set(d.requests.map((r) => r.connection)), new Set([1]));

  const closing = await open(t, { keepAlive: false });
  const agent2 = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent2.destroy());
  for (let i = 0; i < 5; i++) {
    const r = await rawGet(agent2, closing.port, '/api/2.0/mlflow/experiments/get?experiment_id=0');
    t.is(r.connection, 'close');
  }
  t.is(closing.connections, 5);
});

test('bookkeeping: requests, counts per endpoint, errors; wrong method → 405, unknown path → 404', async (t) => {
  const d = await open(t);
  const runId = await newRun(d);
  await post(d, 'runs/log-batch', { run_id: runId, metrics: [metric('a')] });
  await post(d, 'runs/log-batch', { run_id: runId, metrics: [metric('a', 1)] });
  t.is(d.counts['runs/log-batch'], 2);
  t.is(d.counts['runs/create'], 1);
  const lb = d.requestsTo('runs/log-batch')[0]!;
  t.like(lb, { method: 'POST', path: '/api/2.0/mlflow/runs/log-batch', status: 200, outcome: 'answered', applied: true });
  t.is(JSON.parse(lb.body!).run_id, runId);
  t.is(lb.bodyBytes, Buffer.byteLength(lb.body!));
  t.is((await get(d, 'runs/log-batch')).status, 405);
  t.is((await get(d, 'runs/nope')).status, 404);
  await post(d, 'runs/log-batch', { run_id: runId, metrics: metrics(1001) });
  t.is(d.errors.length, 1);
  t.like(d.errors[0], { endpoint: 'runs/log-batch', status: 400, error_code: 'INVALID_PARAMETER_VALUE' });
});
