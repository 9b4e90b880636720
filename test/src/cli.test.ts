/**
 * The replay CLIs as a user meets them: --help answers, and a usage mistake is one line that
 * names the argument and the fix, exit 2, never a stack trace.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv, runNode } from './support/child-process.js';

const CLIS = {
  'ranklog-mlflow-replay': fileURLToPath(new URL('../../packages/mlflow/dist/cli.js', import.meta.url)),
  'ranklog-wandb-replay': fileURLToPath(new URL('../../packages/wandb/dist/cli.js', import.meta.url)),
};

for (const [name, cli] of Object.entries(CLIS)) {
  test(`${name} --help prints the usage and exits 0`, async (t) => {
    for (const flag of ['--help', '-h']) {
      const end = await runNode(t, [cli, flag], childEnv({}));
      t.is(end.code, 0, end.stderr);
      t.true(end.stdout.startsWith(`usage: ${name} `), end.stdout);
      t.regex(end.stdout, /Exit status:/);
      t.is(end.stderr, '');
    }
  });

  const cases: [string, string[], RegExp][] = [
    ['an unknown option', ['--bogus'], /Unknown option '--bogus'.*see .* --help/],
    ['no directory', [], /no (spool|run) directory given; pass/],
    ['a directory that does not exist', [path.join(os.tmpdir(), 'ranklog-no-such-dir')], /"\/[^"]*ranklog-no-such-dir" is not a directory; pass <savedir>/],
  ];
  for (const [what, args, message] of cases) {
    test(`${name} with ${what}: one line naming the fix, no stack trace`, async (t) => {
      const end = await runNode(t, [cli, ...args], childEnv({}));
      t.not(end.code, 0);
      const lines = end.stderr.trimEnd().split('\n');
      t.is(lines.length, 1, end.stderr);
      t.true(lines[0]!.startsWith(`${name}: `), end.stderr);
      t.regex(lines[0]!, message);
      t.notRegex(end.stderr, /^\s+at /m);
    });
  }
}

test('ranklog-mlflow-replay on a directory that is not a spool says which directory to pass (exit 2)', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ranklog-cli-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const end = await runNode(t, [CLIS['ranklog-mlflow-replay'], dir], childEnv({}));
  t.is(end.code, 2);
  t.regex(end.stderr, /has no state\.json; pass an mlflow-spool\/rank<r> directory/);
});

test('ranklog-wandb-replay with a bad --exit-code names the value and the fix (exit 2)', async (t) => {
  const end = await runNode(t, [CLIS['ranklog-wandb-replay'], '--exit-code', 'x', '/tmp'], childEnv({}));
  t.is(end.code, 2);
  t.is(end.stderr, 'ranklog-wandb-replay: --exit-code is "x"; pass an integer, e.g. --exit-code 0 (finished) or 255 (killed, the default)\n');
});
