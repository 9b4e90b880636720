/**
 * What a hard kill (SIGKILL, a node lost) can lose: the records still in the rings, which the
 * writers commit at least once per poll interval (1 s by default; sooner when a ring fills a
 * quarter). A child logs about one record per ms and is SIGKILLed: every record logged more than
 * a few seconds before the kill must be in the files, and the files must end with whole records.
 * The bound is generous (5 s for a 1 s poll) so that only a broken writer fails on a loaded machine.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './support/log-path.js';
import { EVENT_FILE_PATTERN, forEachEvent } from './support/tb-decode.js';
import { TEST_TIMEOUT_MS } from './support/wait-for.js';

const CHILD = fileURLToPath(new URL('./fixtures/hard-kill-child.js', import.meta.url));
const LOSS_BOUND_MS = 5_000;

test('SIGKILL: every record logged more than 5 s before the kill is in metrics.csv and the event file, and every whole record reads back', async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const savedir = tempDir(t, 'hard-kill');
  const child = spawn(process.execPath, [CHILD, savedir, 'run', '8000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let killedAt = 0;
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    if (killedAt === 0 && d.includes('ready')) {
      killedAt = Date.now();
      child.kill('SIGKILL');
    }
  });
  t.teardown(() => child.kill('SIGKILL'));
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, sig) => resolve(sig)));
  t.is(signal, 'SIGKILL', stderr);

  // metrics.csv: steps 0..k-1 without a gap; the newest of them was logged at most LOSS_BOUND_MS before the kill.
  // (A kill in the middle of a large write(2) may leave its last line torn: readers skip a line without its newline.)
  const lines = readFileSync(join(savedir, 'run', 'metrics.csv'), 'utf8').split('\n');
  const torn = lines.pop();
  if (torn !== '') t.log(`metrics.csv ends with a torn line of ${torn?.length} characters`);
  let rows = 0;
  let lastLoggedAt = 0;
  let inOrder = true;
  for (const line of lines.slice(1)) {
    const [, , , step, , value] = line.split(',');
    inOrder &&= Number(step) === rows;
    lastLoggedAt = Number(value);
    rows++;
  }
  t.true(inOrder, 'metrics.csv holds steps 0, 1, 2, … without a gap');
  t.true(rows > 1000, `${rows} rows`);
  t.log(`metrics.csv: the newest record was logged ${killedAt - lastLoggedAt} ms before the kill`);
  t.true(killedAt - lastLoggedAt < LOSS_BOUND_MS, `records logged ${killedAt - lastLoggedAt} ms before the kill are missing`);

  // The event file: whole records only, steps without a gap, the newest logged within the bound.
  const dir = join(savedir, 'run');
  let events = 0;
  let lastWall = 0;
  for (const name of readdirSync(dir).filter((n) => EVENT_FILE_PATTERN.test(n))) {
    const framing = forEachEvent(new Uint8Array(readFileSync(join(dir, name))), name, (e) => {
      if (e.summary === undefined) return;
      inOrder &&= e.step === events;
      lastWall = e.wallTime * 1000;
      events++;
    });
    t.deepEqual(framing.errors, [], 'every whole record reads back');
    if (framing.truncatedTail) t.log(`${name}: a torn last record of ${framing.tailBytes} bytes (TensorBoard skips it)`);
  }
  t.true(inOrder, 'the event file holds steps 0, 1, 2, … without a gap');
  t.log(`event file: the newest record was logged ${killedAt - lastWall} ms before the kill`);
  t.true(killedAt - lastWall < LOSS_BOUND_MS, `records logged ${killedAt - lastWall} ms before the kill are missing`);
});
