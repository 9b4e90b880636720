/**
 * The commands as a user meets them, through the links npm made in node_modules/.bin when it
 * installed the workspace (before any build: the links point at committed bin/ shims): --help
 * answers, and a usage mistake is one line that names the argument and the fix, exit 2, never a
 * stack trace.
 */
import test from 'ava';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv, runNode } from './support/child-process.js';

/** test/dist/ → <repo>/node_modules/.bin/ */
const BIN = fileURLToPath(new URL('../../node_modules/.bin/', import.meta.url));
const CLIS = {
  'ranklog-mlflow-replay': path.join(BIN, 'ranklog-mlflow-replay'),
  'ranklog-wandb-replay': path.join(BIN, 'ranklog-wandb-replay'),
};

test('ranklog view: --help prints the usage; a usage mistake is one line naming the fix, exit 2', async (t) => {
  const cli = path.join(BIN, 'ranklog');
  const help = await runNode(t, [cli, '--help'], childEnv({}));
  t.is(help.code, 0, help.stderr);
  t.true(help.stdout.startsWith('usage: ranklog view [savedir…]'), help.stdout);
  t.regex(help.stdout, /Exit status:/);
  for (const [args, message] of [
    [['--bogus'], /^ranklog: Unknown option '--bogus'.*see ranklog view --help$/],
    [['serve'], /^ranklog: unknown command "serve"; use ranklog view \[savedir…\]/],
    [['view', path.join(os.tmpdir(), 'ranklog-no-such-dir')], /^ranklog: savedir "\/[^"]*ranklog-no-such-dir" is not a directory; pass the savedir/],
    [['view', os.tmpdir(), '--port', '70000'], /^ranklog: --port "70000" is not a port; use 0–65535/],
  ] as [string[], RegExp][]) {
    const end = await runNode(t, [cli, ...args], childEnv({}));
    t.is(end.code, 2, args.join(' '));
    t.is(end.stderr.trimEnd().split('\n').length, 1, end.stderr);
    t.regex(end.stderr.trimEnd(), message);
  }
});

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
