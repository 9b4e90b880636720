/**
 * An independent reader of MLflow's file store (`mlruns/`), written from MLflow's layout
 * (mlflow/store/tracking/file_store.py) and sharing no code with ranklog's writer: the YAML
 * subset of its meta.yaml files, the metric line format `<timestamp> <value> <step>`, and a
 * run directory as a whole (meta, tags, params, metrics; keys with '/' are sub-directories).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type YV = string | number | null | YV[] | { [k: string]: YV };

/** Joins continuation lines as YAML folds a flow scalar: a break is a space, an empty line a newline. */
function foldLines(lines: string[]): string {
  let s = lines[0]!;
  let newlines = 0;
  for (const l of lines.slice(1)) {
    const t = l.replace(/^ +/, '');
    if (t === '') {
      newlines++;
      continue;
    }
    s += newlines > 0 ? '\n'.repeat(newlines) : ' ';
    s += t;
    newlines = 0;
  }
  return s + '\n'.repeat(newlines);
}

function unescapeDouble(s: string): string {
  return s.replace(/\\(x[0-9A-F]{2}|u[0-9A-F]{4}|U[0-9A-F]{8}|.)/g, (_, e: string) => {
    if (e.length > 1) return String.fromCodePoint(parseInt(e.slice(1), 16));
    const map: Record<string, string> = {
      n: '\n',
      t: '\t',
      r: '\r',
      '0': '\0',
      '"': '"',
      '\\': '\\',
      ' ': ' ',
      e: '\x1b',
      N: '\u0085',
      _: '\u00a0',
      L: '\u2028',
      P: '\u2029',
    };
    if (!(e in map)) throw new Error(`unknown escape \\${e}`);
    return map[e]!;
  });
}

function scalarOf(lines: string[]): YV {
  const text = lines.length === 1 ? lines[0]! : foldLines(lines);
  if (text.startsWith("'")) {
    if (!text.endsWith("'") || text.length < 2) throw new Error(`unterminated ${JSON.stringify(text)}`);
    return text.slice(1, -1).replace(/''/g, "'");
  }
  if (text.startsWith('"')) {
    if (!text.endsWith('"') || text.length < 2) throw new Error(`unterminated ${JSON.stringify(text)}`);
    return unescapeDouble(text.slice(1, -1));
  }
  if (text === '[]') return [];
  if (text === '{}') return {};
  if (text === 'null') return null;
  if (/^-?[0-9]+$/.test(text)) return Number(text);
  if (/^(true|false|yes|no|on|off|~)$/i.test(text) || /^[-+]?(\.[0-9]|[0-9][0-9_]*\.)/.test(text)) throw new Error(`unquoted non-string ${text}`);
  return text;
}

/** The meta.yaml subset: `key: value` lines at column 0, continuation lines indented by 2, one nested level. */
export function parseMeta(text: string): { [k: string]: YV } {
  if (!text.endsWith('\n')) throw new Error('meta.yaml must end with a newline');
  const lines = text.slice(0, -1).split('\n');
  const out: { [k: string]: YV } = {};
  let i = 0;
  while (i < lines.length) {
    const m = /^([a-z_]+):(?: (.*))?$/.exec(lines[i]!);
    if (!m) throw new Error(`not a key line: ${JSON.stringify(lines[i])}`);
    i++;
    const cont: string[] = [];
    while (i < lines.length && (lines[i]!.startsWith('  ') || lines[i] === '')) cont.push(lines[i++]!);
    if (m[2] === undefined) {
      const nested: { [k: string]: YV } = {};
      for (const l of cont) {
        const n = /^ {2}([^ :][^:]*): (.*)$/.exec(l);
        if (!n) throw new Error(`not a nested key line: ${JSON.stringify(l)}`);
        nested[n[1]!] = scalarOf([n[2]!]);
      }
      out[m[1]!] = nested;
    } else {
      out[m[1]!] = scalarOf([m[2], ...cont]);
    }
  }
  return out;
}

export interface MetricLine {
  timestamp: number;
  value: number;
  valueText: string;
  step: number;
}

/** `<timestamp> <value> <step>` lines, the value as Python prints a float (nan, inf, -inf). */
export function parseMetricFile(text: string): MetricLine[] {
  if (text !== '' && !text.endsWith('\n')) throw new Error('metric file must end with a newline');
  return text
    .split('\n')
    .slice(0, -1)
    .map((line) => {
      const parts = line.split(' ');
      if (parts.length !== 3) throw new Error(`bad metric line ${JSON.stringify(line)}`);
      const [ts, v, step] = parts as [string, string, string];
      if (!/^[0-9]+$/.test(ts) || !/^-?[0-9]+$/.test(step)) throw new Error(`bad metric line ${JSON.stringify(line)}`);
      if (!/^(nan|inf|-inf|-?[0-9]+\.[0-9]+|-?[0-9](\.[0-9]+)?e[-+][0-9]{2,3})$/.test(v)) throw new Error(`not a Python float repr: ${v}`);
      const value = v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v);
      return { timestamp: Number(ts), value, valueText: v, step: Number(step) };
    });
}

/** meta.yaml's `status` (RunStatus in MLflow's service.proto). */
export const RUN_STATUS: Readonly<Record<number, string>> = { 1: 'RUNNING', 2: 'SCHEDULED', 3: 'FINISHED', 4: 'FAILED', 5: 'KILLED' };

export interface MlrunsRun {
  runId: string;
  experimentId: string;
  meta: { [k: string]: YV };
  /** RUNNING, FINISHED, FAILED, KILLED (from meta.yaml's int). */
  status: string;
  tags: Map<string, string>;
  params: Map<string, string>;
  metrics: Map<string, MetricLine[]>;
}

/** Files under dir as key → content; a key with '/' is a sub-directory (MLflow writes keys as relative paths). */
function keyedFiles(dir: string, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) keyedFiles(join(dir, e.name), `${prefix}${e.name}/`, out);
    else out.set(`${prefix}${e.name}`, readFileSync(join(dir, e.name), 'utf8'));
  }
  return out;
}

/** One run directory: <root>/<experiment id>/<run id>/. */
export function readRun(runDir: string): MlrunsRun {
  const meta = parseMeta(readFileSync(join(runDir, 'meta.yaml'), 'utf8'));
  const metrics = new Map<string, MetricLine[]>();
  for (const [key, text] of keyedFiles(join(runDir, 'metrics'))) metrics.set(key, parseMetricFile(text));
  return {
    runId: String(meta.run_id),
    experimentId: String(meta.experiment_id),
    meta,
    status: RUN_STATUS[meta.status as number] ?? `unknown status ${String(meta.status)}`,
    tags: keyedFiles(join(runDir, 'tags')),
    params: keyedFiles(join(runDir, 'params')),
    metrics,
  };
}

/** Ids of the active experiments named `name`: root sub-directories with a meta.yaml, except `.trash` (and `*.trash`) and `models`. */
export function experimentIdsNamed(root: string, name: string): string[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.endsWith('.trash') && e.name !== 'models' && existsSync(join(root, e.name, 'meta.yaml')))
    .filter((e) => parseMeta(readFileSync(join(root, e.name, 'meta.yaml'), 'utf8')).name === name)
    .map((e) => e.name);
}

/** Every run of an experiment: its sub-directories that hold a meta.yaml (not `datasets`). */
export function runsIn(root: string, experimentId: string): MlrunsRun[] {
  const dir = join(root, experimentId);
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && e.name !== 'datasets' && existsSync(join(dir, e.name, 'meta.yaml')))
    .map((e) => readRun(join(dir, e.name)));
}
