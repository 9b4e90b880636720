/**
 * The overloads of log() and logMetrics() tie the kind to the item's type: test/types/log-overloads.ts
 * is compiled with tsc (strict, NodeNext, exactOptionalPropertyTypes). It compiles only if every
 * `@ts-expect-error` call fails to compile and every other call compiles; with those comments
 * removed, each of those calls must be an error of its own.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** A liveness bound far above what tsc takes, even on a loaded machine. */
const LIVENESS_MS = 600_000;
const TSC = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const TYPES = fileURLToPath(new URL('../types/', import.meta.url));
const SOURCE = readFileSync(join(TYPES, 'log-overloads.ts'), 'utf8');

async function tsc(project: string): Promise<{ code: number; out: string }> {
  try {
    const r = await run(process.execPath, [TSC, '-p', project], { encoding: 'utf8' });
    return { code: 0, out: r.stdout };
  } catch (e) {
    const err = e as { code: number; stdout: string };
    return { code: err.code, out: err.stdout };
  }
}

test.serial('every call marked @ts-expect-error fails to compile, every other call compiles', async (t) => {
  t.timeout(LIVENESS_MS); // tsc takes seconds, a minute on a loaded VM
  const r = await tsc(join(TYPES, 'tsconfig.json'));
  t.is(r.code, 0, r.out);
});

test.serial('without the @ts-expect-error comments, each marked call is a compile error on its own line', async (t) => {
  t.timeout(LIVENESS_MS);
  // Beside test/types (not in the OS temp dir), so that @ranklog/core resolves from the workspace.
  const dir = mkdtempSync(join(fileURLToPath(new URL('.', import.meta.url)), 'types-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const lines = SOURCE.split('\n');
  const expected: number[] = [];
  const stripped = lines.map((line, i) => {
    if (!line.startsWith('// @ts-expect-error')) return line;
    expected.push(i + 2); // the call below the comment (1-based)
    return '//';
  });
  writeFileSync(join(dir, 'log-overloads.ts'), stripped.join('\n'));
  writeFileSync(join(dir, 'tsconfig.json'), readFileSync(join(TYPES, 'tsconfig.json')));
  const r = await tsc(join(dir, 'tsconfig.json'));
  t.not(r.code, 0);
  const errorLines = [...new Set([...r.out.matchAll(/log-overloads\.ts\((\d+),\d+\): error/g)].map((m) => Number(m[1])))];
  t.true(expected.length >= 14);
  t.deepEqual(errorLines, expected, r.out);
});
