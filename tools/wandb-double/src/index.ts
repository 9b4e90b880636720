/**
 * An in-process double of the W&B service for ranklog's online W&B tests and benchmarks
 * (@ranklog/wandb-double, a private workspace package). It answers on 127.0.0.1 only and is
 * strict: it refuses what the real service would refuse, and also what it would take but a
 * careful client must not send, recording the latter in `violations`.
 *
 *   POST /graphql            Authorization `Basic base64("api:" + key)`; UpsertBucket (run name,
 *                            project, entity, config as a JSONString of {"k": {"value": v}}) and
 *                            CreateRunFiles (upload URLs on a second origin, plus uploadHeaders)
 *   POST /files/{entity}/{project}/{run}/file_stream
 *                            the run must exist; `files` of wandb-history.jsonl,
 *                            wandb-events.jsonl, wandb-summary.json, output.log with offsets
 *                            without gaps per file; `uploaded` names must have been PUT;
 *                            `complete` with an integer `exitcode`; answers `{"stopped": true}`
 *                            for a run stopped with stopRun()
 *   PUT  <upload origin>/upload/<token>
 *                            only URLs it gave, with the headers it gave, and never with an
 *                            Authorization header (the W&B key must not reach another origin)
 *
 * Faults are injected per request: a status (5xx, or 429 with Retry-After), a dead connection
 * (the socket destroyed), or a held request that waits until release() — an event, not a timer.
 * Every answered request is recorded in `requests` and emitted as a 'request' event.
 *
 * Sources (wandb/wandb): core/api/graphql/mutation_run.graphql, mutation_create_run_files.graphql,
 * core/internal/filestream/ (request JSON, offsets, stopped), core/internal/api/credentials.go.
 */
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

export const FILE_STREAM_FILES = ['wandb-history.jsonl', 'wandb-events.jsonl', 'wandb-summary.json', 'output.log'] as const;

export interface RecordedRequest {
  method: string;
  path: string;
  /** 'UpsertBucket', 'CreateRunFiles', 'file_stream', 'upload', or '' for anything else. */
  operation: string;
  status: number;
  /** The parsed JSON body (uploads: undefined). */
  body: unknown;
  headers: http.IncomingHttpHeaders;
  /** What the fault injection did to it, if anything. */
  fault?: 'status' | 'drop' | 'hold';
}

export class DoubleRun {
  id = randomUUID();
  displayName = '';
  groupName = '';
  notes = '';
  host = '';
  program = '';
  jobType = '';
  tags: string[] = [];
  /** The config as the last UpsertBucket gave it: {"key": {"value": v}}. */
  config: Record<string, { value: unknown }> = {};
  upserts = 0;
  /** Lines per file-stream file. */
  readonly files = new Map<string, string[]>(FILE_STREAM_FILES.map((f) => [f, []]));
  /** Upload bytes by file name. */
  readonly uploads = new Map<string, Buffer>();
  /** Names the file stream listed as `uploaded`. */
  readonly uploaded = new Set<string>();
  complete = false;
  exitcode: number | undefined;
  heartbeats = 0;
  stopped = false;
  /** file_stream offsets that rewrote lines already held (a replay after a partial upload). */
  rewrites = 0;

  constructor(
    readonly entity: string,
    readonly project: string,
    readonly name: string,
  ) {}

  lines(file: string): string[] {
    return this.files.get(file) ?? [];
  }

  /** History rows parsed (NaN and ±Infinity tokens as numbers). */
  get history(): Record<string, unknown>[] {
    return this.lines('wandb-history.jsonl').map((l) => parseWandbJson(l) as Record<string, unknown>);
  }

  get events(): Record<string, unknown>[] {
    return this.lines('wandb-events.jsonl').map((l) => parseWandbJson(l) as Record<string, unknown>);
  }

  get summary(): Record<string, unknown> {
    const l = this.lines('wandb-summary.json');
    return l.length === 0 ? {} : (parseWandbJson(l[0]!) as Record<string, unknown>);
  }
}

/** JSON with the bare NaN, Infinity and -Infinity tokens wandb's Python and Go sides write. */
export function parseWandbJson(text: string): unknown {
  const marked = text.replace(/([:[,]\s*)(-?Infinity|NaN)(?=\s*[,}\]])/g, '$1"\\u0000$2"');
  return JSON.parse(marked, (_k, v) => (typeof v === 'string' && v.startsWith('\u0000') ? Number(v.slice(1)) : v));
}

export interface Fault {
  kind: 'status' | 'drop' | 'hold';
  /** Which requests: an operation name ('UpsertBucket', 'CreateRunFiles', 'file_stream', 'upload'); all if left out. */
  operation?: string;
  status?: number;
  /** Sent as Retry-After, seconds. */
  retryAfterSecs?: number;
  /** How many requests it applies to (default 1; Infinity for all until clearFaults()). */
  count?: number;
}

interface Held {
  release: () => void;
}

export interface WandbDoubleOptions {
  apiKey: string;
  /** The entity of a run that names none (the key's default entity). */
  defaultEntity?: string;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const isString = (v: unknown): v is string => typeof v === 'string';
const optionalString = (v: unknown) => v === undefined || v === null || typeof v === 'string';

export class WandbDouble extends EventEmitter {
  readonly runs = new Map<string, DoubleRun>();
  readonly requests: RecordedRequest[] = [];
  /** What a careful client must not do, though a real server might not refuse it. */
  readonly violations: string[] = [];
  /** Why requests were refused (4xx), for a test's message. */
  readonly refusals: string[] = [];
  private faults: (Fault & { left: number })[] = [];
  private held: Held[] = [];
  private readonly issued = new Map<string, { run: DoubleRun; name: string; headers: Record<string, string> }>();
  private readonly authorization: string;
  private readonly defaultEntity: string;

  constructor(
    private readonly api: http.Server,
    private readonly storage: http.Server,
    options: WandbDoubleOptions,
  ) {
    super();
    this.authorization = `Basic ${Buffer.from(`api:${options.apiKey}`).toString('base64')}`;
    this.defaultEntity = options.defaultEntity ?? 'double-user';
    api.on('request', (req, res) => void this.handle(req, res, false));
    storage.on('request', (req, res) => void this.handle(req, res, true));
  }

  /** The base URL (WANDB_BASE_URL). */
  get url(): string {
    return `http://127.0.0.1:${(this.api.address() as AddressInfo).port}`;
  }

  /** The origin upload URLs point to: another port, so another origin. */
  get uploadOrigin(): string {
    return `http://127.0.0.1:${(this.storage.address() as AddressInfo).port}`;
  }

  run(name: string): DoubleRun | undefined {
    for (const r of this.runs.values()) if (r.name === name) return r;
    return undefined;
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.count ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Answer the held requests (and stop holding). */
  release(): void {
    this.faults = this.faults.filter((f) => f.kind !== 'hold');
    const held = this.held;
    this.held = [];
    for (const h of held) h.release();
  }

  get heldCount(): number {
    return this.held.length;
  }

  /** The run's next file-stream answers say `stopped: true`, as after "Stop run" in the UI. */
  stopRun(name: string): void {
    const r = this.run(name);
    if (r === undefined) throw new Error(`no run ${name}`);
    r.stopped = true;
  }

  /** Resolves with the first recorded request (from now on) that `pred` accepts. */
  waitForRequest(pred: (r: RecordedRequest) => boolean): Promise<RecordedRequest> {
    return new Promise((resolve) => {
      const on = (r: RecordedRequest) => {
        if (!pred(r)) return;
        this.off('request', on);
        resolve(r);
      };
      this.on('request', on);
    });
  }

  private operationOf(path: string, storage: boolean, body: unknown): string {
    if (storage) return 'upload';
    if (/^\/files\/[^/]+\/[^/]+\/[^/]+\/file_stream$/.test(path)) return 'file_stream';
    if (path === '/graphql') {
      const q = (body as { query?: unknown } | undefined)?.query;
      const m = typeof q === 'string' ? /^\s*mutation\s+(\w+)\s*\(/.exec(q) : null;
      return m?.[1] ?? '';
    }
    return '';
  }

  private takeFault(operation: string): Fault | undefined {
    const f = this.faults.find((x) => x.left > 0 && (x.operation === undefined || x.operation === operation));
    if (f === undefined) return undefined;
    f.left--;
    if (f.left <= 0) this.faults = this.faults.filter((x) => x !== f);
    return f;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, storage: boolean): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? '/').split('?')[0]!;
    let body: unknown;
    if (!storage) {
      try {
        body = raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
      } catch {
        body = Symbol.for('invalid');
      }
    }
    const operation = this.operationOf(path, storage, body);
    const rec: RecordedRequest = { method: req.method ?? '', path, operation, status: 0, body, headers: req.headers };
    const fault = this.takeFault(operation);
    if (fault?.kind === 'drop') {
      rec.fault = 'drop';
      req.socket.destroy();
      this.record(rec);
      return;
    }
    if (fault?.kind === 'hold') {
      rec.fault = 'hold';
      await new Promise<void>((resolve) => {
        this.held.push({ release: resolve });
        this.emit('held', rec);
      });
    }
    if (fault?.kind === 'status') {
      rec.fault = 'status';
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (fault.retryAfterSecs !== undefined) headers['Retry-After'] = String(fault.retryAfterSecs);
      return this.answer(res, rec, fault.status ?? 500, { error: 'injected fault' }, headers);
    }
    try {
      if (storage) return this.upload(req, res, rec, path, raw);
      if (req.headers.authorization !== this.authorization) throw new Refusal(401, 'user is not logged in');
      if (body === Symbol.for('invalid')) throw new Refusal(400, 'the body is not JSON');
      if (req.method !== 'POST') throw new Refusal(405, 'POST only');
      if (operation === 'file_stream') return this.answer(res, rec, 200, this.fileStream(path, body));
      if (path !== '/graphql') throw new Refusal(404, `no route ${path}`);
      const variables = (body as { variables?: unknown }).variables;
      if (typeof variables !== 'object' || variables === null) throw new Refusal(400, 'variables must be an object');
      if (operation === 'UpsertBucket') return this.answer(res, rec, 200, { data: { upsertBucket: this.upsertBucket(variables as Record<string, unknown>) } });
      if (operation === 'CreateRunFiles')
        return this.answer(res, rec, 200, { data: { createRunFiles: this.createRunFiles(variables as Record<string, unknown>) } });
      throw new Refusal(400, `unknown operation in ${JSON.stringify(String((body as { query?: unknown }).query).slice(0, 60))}`);
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      this.refusals.push(`${operation || path}: ${e.status} ${e.message}`);
      this.answer(res, rec, e.status, path === '/graphql' ? { errors: [{ message: e.message }] } : { error: e.message });
    }
  }

  private answer(res: http.ServerResponse, rec: RecordedRequest, status: number, body: unknown, headers: Record<string, string> = {}): void {
    rec.status = status;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text, () => this.record(rec));
  }

  private record(rec: RecordedRequest): void {
    this.requests.push(rec);
    this.emit('request', rec);
  }

  private upsertBucket(v: Record<string, unknown>): unknown {
    for (const k of ['id', 'project', 'entity', 'groupName', 'displayName', 'notes', 'config', 'host', 'program', 'jobType', 'description'])
      if (!optionalString(v[k])) throw new Refusal(400, `UpsertBucket: ${k} must be a string`);
    if (!isString(v.name) || v.name === '') throw new Refusal(400, 'UpsertBucket: name (the run id) is required');
    if (v.tags !== undefined && v.tags !== null && !(Array.isArray(v.tags) && v.tags.every(isString)))
      throw new Refusal(400, 'UpsertBucket: tags must be strings');
    let config: Record<string, { value: unknown }> | undefined;
    if (isString(v.config)) {
      let parsed: unknown;
      try {
        parsed = parseWandbJson(v.config);
      } catch {
        throw new Refusal(400, 'UpsertBucket: config is not a JSONString');
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Refusal(400, 'UpsertBucket: config must be a JSON object');
      for (const [k, val] of Object.entries(parsed))
        if (typeof val !== 'object' || val === null || !('value' in val)) throw new Refusal(400, `UpsertBucket: config key ${k} is not {"value": …}`);
      config = parsed as Record<string, { value: unknown }>;
      checkMetricDefinitions(config);
    }
    const entity = isString(v.entity) && v.entity !== '' ? v.entity : this.defaultEntity;
    const project = isString(v.project) && v.project !== '' ? v.project : 'uncategorized';
    const key = `${entity}/${project}/${v.name}`;
    let run = this.runs.get(key);
    const inserted = run === undefined;
    if (run === undefined) {
      if (isString(v.id)) throw new Refusal(404, `UpsertBucket: no run with id ${v.id}`);
      run = new DoubleRun(entity, project, v.name);
      this.runs.set(key, run);
    } else if (isString(v.id) && v.id !== run.id) throw new Refusal(409, 'UpsertBucket: the id is not this run');
    const r = run;
    const set = (k: 'displayName' | 'groupName' | 'notes' | 'host' | 'program' | 'jobType', from: unknown) => {
      if (isString(from)) r[k] = from;
    };
    set('displayName', v.displayName);
    set('groupName', v.groupName);
    set('notes', v.notes);
    set('host', v.host);
    set('program', v.program);
    set('jobType', v.jobType);
    if (Array.isArray(v.tags)) r.tags = v.tags as string[];
    if (config !== undefined) r.config = config;
    r.upserts++;
    return {
      bucket: {
        id: r.id,
        name: r.name,
        displayName: r.displayName,
        project: { id: `p-${project}`, name: project, entity: { id: `e-${entity}`, name: entity } },
      },
      inserted,
    };
  }

  private createRunFiles(v: Record<string, unknown>): unknown {
    if (!isString(v.entity) || !isString(v.project) || !isString(v.run)) throw new Refusal(400, 'CreateRunFiles: entity, project and run are required');
    if (!Array.isArray(v.files) || !v.files.every(isString)) throw new Refusal(400, 'CreateRunFiles: files must be strings');
    const run = this.runs.get(`${v.entity}/${v.project}/${v.run}`);
    if (run === undefined) throw new Refusal(404, `CreateRunFiles: no run ${v.entity}/${v.project}/${v.run}`);
    const headers = { 'X-Double-Upload': 'yes' };
    const files = (v.files as string[]).map((name) => {
      if (name.startsWith('/') || name.split('/').includes('..')) throw new Refusal(400, `CreateRunFiles: ${name} is not a run path`);
      const token = randomUUID();
      this.issued.set(token, { run, name, headers });
      return { name, uploadUrl: `${this.uploadOrigin}/upload/${token}?signature=double` };
    });
    return { runID: run.id, uploadHeaders: Object.entries(headers).map(([k, val]) => `${k}:${val}`), files };
  }

  private upload(req: http.IncomingMessage, res: http.ServerResponse, rec: RecordedRequest, path: string, raw: Buffer): void {
    const token = /^\/upload\/([\w-]+)$/.exec(path)?.[1];
    const issued = token === undefined ? undefined : this.issued.get(token);
    if (req.method !== 'PUT' || issued === undefined) return this.answer(res, rec, 403, { error: 'not an upload URL this server gave' });
    if (req.headers.authorization !== undefined) {
      this.violations.push(`an Authorization header sent to the upload origin for ${issued.name}`);
      return this.answer(res, rec, 400, { error: 'Authorization header on a signed upload URL' });
    }
    for (const [k, val] of Object.entries(issued.headers))
      if (req.headers[k.toLowerCase()] !== val) return this.answer(res, rec, 403, { error: `upload header ${k} missing` });
    issued.run.uploads.set(issued.name, raw);
    this.answer(res, rec, 200, {});
  }

  private fileStream(path: string, body: unknown): unknown {
    const [, entity, project, name] = path.split('/').slice(1).map(decodeURIComponent);
    const run = this.runs.get(`${entity}/${project}/${name}`);
    if (run === undefined) throw new Refusal(404, `no run ${entity}/${project}/${name}: UpsertBucket first`);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Refusal(400, 'the body must be a JSON object');
    const b = body as Record<string, unknown>;
    for (const k of Object.keys(b)) if (!['files', 'uploaded', 'complete', 'exitcode', 'preempting'].includes(k)) throw new Refusal(400, `unknown field ${k}`);
    if (run.complete) this.violations.push(`file_stream for ${name} after complete`);
    if (Object.keys(b).length === 0) run.heartbeats++;
    if (b.files !== undefined) {
      if (typeof b.files !== 'object' || b.files === null) throw new Refusal(400, 'files must be an object');
      const files = b.files as Record<string, unknown>;
      // Check all first: a refused request changes nothing.
      for (const [file, chunk] of Object.entries(files)) {
        const lines = run.files.get(file);
        if (lines === undefined) throw new Refusal(400, `unknown file ${file}`);
        const c = chunk as { offset?: unknown; content?: unknown };
        if (!Number.isInteger(c.offset) || (c.offset as number) < 0) throw new Refusal(400, `${file}: offset must be an integer ≥ 0`);
        if (!Array.isArray(c.content) || !c.content.every(isString)) throw new Refusal(400, `${file}: content must be a list of strings`);
        if (file === 'wandb-summary.json') {
          if (c.offset !== 0 || c.content.length !== 1) throw new Refusal(400, 'wandb-summary.json: one line at offset 0');
        } else if ((c.offset as number) > lines.length) throw new Refusal(400, `${file}: offset ${c.offset} leaves a gap after line ${lines.length}`);
        if (file !== 'output.log')
          for (const line of c.content as string[]) {
            let v: unknown;
            try {
              v = parseWandbJson(line);
            } catch {
              throw new Refusal(400, `${file}: a line that is not JSON: ${line.slice(0, 80)}`);
            }
            if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Refusal(400, `${file}: a line that is not a JSON object`);
          }
      }
      for (const [file, chunk] of Object.entries(files)) {
        const lines = run.files.get(file)!;
        const c = chunk as { offset: number; content: string[] };
        if (c.offset < lines.length && file !== 'wandb-summary.json') run.rewrites++;
        lines.splice(c.offset, c.content.length, ...c.content);
      }
    }
    if (b.uploaded !== undefined) {
      if (!Array.isArray(b.uploaded) || !b.uploaded.every(isString)) throw new Refusal(400, 'uploaded must be a list of names');
      for (const n of b.uploaded as string[]) {
        if (!run.uploads.has(n)) this.violations.push(`uploaded names ${n}, which was never PUT`);
        run.uploaded.add(n);
      }
    }
    if (b.complete !== undefined) {
      if (typeof b.complete !== 'boolean') throw new Refusal(400, 'complete must be a boolean');
      if (b.complete && !Number.isInteger(b.exitcode)) throw new Refusal(400, 'complete needs an integer exitcode');
      run.complete = b.complete;
      run.exitcode = b.exitcode as number;
    }
    return run.stopped ? { stopped: true } : { exitcode: null, limits: {} };
  }

  async close(): Promise<void> {
    this.release();
    for (const s of [this.api, this.storage]) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }
}

export async function startWandbDouble(options: WandbDoubleOptions): Promise<WandbDouble> {
  const api = http.createServer();
  const storage = http.createServer();
  const double = new WandbDouble(api, storage, options);
  for (const s of [api, storage]) await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return double;
}

/**
 * `_wandb.m`: metric definitions as wandb's core puts them in the config — MetricRecords keyed by
 * field number; "1" the name, "5" a 1-based index into this list (the step metric), "6" option
 * field numbers. The UI resolves "5" by index, so one out of range breaks the run's charts.
 */
function checkMetricDefinitions(config: Record<string, { value: unknown }>): void {
  const wb = config._wandb?.value;
  if (wb === undefined) return;
  if (typeof wb !== 'object' || wb === null || Array.isArray(wb)) throw new Refusal(400, 'UpsertBucket: config _wandb must be an object');
  const m = (wb as { m?: unknown }).m;
  if (m === undefined) return;
  if (!Array.isArray(m)) throw new Refusal(400, 'UpsertBucket: config _wandb.m must be a list');
  m.forEach((e: unknown, i) => {
    if (typeof e !== 'object' || e === null) throw new Refusal(400, `UpsertBucket: _wandb.m[${i}] is not an object`);
    const d = e as Record<string, unknown>;
    if (typeof d['1'] !== 'string' && typeof d['2'] !== 'string') throw new Refusal(400, `UpsertBucket: _wandb.m[${i}] has no name ("1") or glob ("2")`);
    const step = d['5'];
    if (step !== undefined && (!Number.isInteger(step) || (step as number) < 1 || (step as number) > m.length))
      throw new Refusal(400, `UpsertBucket: _wandb.m[${i}]["5"] = ${JSON.stringify(step)} is not a 1-based index into _wandb.m`);
    const opts = d['6'];
    if (opts !== undefined && (!Array.isArray(opts) || !opts.every((n) => Number.isInteger(n))))
      throw new Refusal(400, `UpsertBucket: _wandb.m[${i}]["6"] must list option field numbers`);
  });
}
