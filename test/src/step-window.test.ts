/**
 * Rank 0's step window (docs/jobs.md "Aggregates") on its own, with an injected clock: when a
 * step is written (complete, a rank skipped it, a rank went silent, close), that a slow rank who
 * keeps logging is waited for however long it takes, and what the window drops when full.
 * No real time passes: the clock is a variable the test moves.
 */
import test from 'ava';
import { type StepAggregate, StepWindow } from '../../packages/core/dist/aggregate/step-window.js';

function part(rank: number, step: number, value: number, identifier = 'loss') {
  return { rank, identifier, step, timeMs: 0, p: { count: 1, sum: value, m2: 0, min: value, max: value } };
}

function windowOf(ranks: number[], opts: { size?: number; timeoutMs?: number } = {}) {
  const clock = { t: 1_000 };
  const rows: StepAggregate[] = [];
  let drops = 0;
  const w = new StepWindow(
    () => ranks,
    opts.size ?? 32_768,
    opts.timeoutMs ?? 30_000,
    (a) => rows.push(a),
    () => clock.t,
    () => drops++,
  );
  return { w, rows, clock, drops: () => drops };
}

const summary = (rows: StepAggregate[]) => rows.map((a) => [a.step, a.ranks, a.p.sum]);

test('a step is written when every rank sent it, and not before', (t) => {
  const { w, rows } = windowOf([0, 1, 2]);
  w.add(part(0, 0, 1));
  w.add(part(1, 0, 2));
  t.deepEqual(rows, []);
  w.add(part(2, 0, 3));
  t.deepEqual(summary(rows), [[0, 3, 6]]);
  t.is(w.counts.aggregateSteps, 1);
});

test('a rank that sends a later step skipped the earlier one: written without it, no timeout needed', (t) => {
  const { w, rows } = windowOf([0, 1, 2]);
  for (const r of [0, 1]) w.add(part(r, 1, 1));
  t.deepEqual(rows, []);
  w.add(part(2, 2, 5)); // rank 2 logged step 2 after step 0: it never logs step 1
  t.deepEqual(summary(rows), [[1, 2, 2]]);
  t.is(rows[0]!.expectedRanks, 3);
  t.is(w.counts.aggregateIncomplete, 1);
});

test('a silent rank is waited for until the timeout, then its steps are written without it', (t) => {
  const { w, rows, clock } = windowOf([0, 1, 2], { timeoutMs: 30_000 });
  w.add(part(2, 0, 1));
  for (const s of [0, 1, 2]) for (const r of [0, 1]) w.add(part(r, s, 1));
  t.deepEqual(summary(rows), [[0, 3, 3]]);
  clock.t += 29_999;
  w.expire();
  t.is(rows.length, 1, 'rank 2 was heard 29.999 s ago: still waited for');
  clock.t += 1;
  w.expire();
  t.deepEqual(summary(rows), [
    [0, 3, 3],
    [1, 2, 2],
    [2, 2, 2],
  ]);
  w.add(part(2, 1, 1));
  t.is(w.counts.aggregateLate, 1, 'its value for a written step is late');
});

test('a slow rank that keeps logging is never timed out, however far behind (2000 steps, 10 min)', (t) => {
  const { w, rows, clock } = windowOf([0, 1], { timeoutMs: 30_000 });
  const STEPS = 3000;
  for (let s = 0; s < STEPS; s++) w.add(part(0, s, s));
  for (let s = 0; s < STEPS; s++) {
    clock.t += 200; // 0.2 s a step: rank 1 ends 10 minutes after rank 0
    w.expire();
    w.add(part(1, s, 1));
  }
  w.drain();
  t.is(rows.length, STEPS);
  t.true(rows.every((a, s) => a.step === s && a.ranks === 2 && a.p.sum === s + 1));
  t.deepEqual([w.counts.aggregateDropped, w.counts.aggregateLate, w.counts.aggregateIncomplete], [0, 0, 0]);
});

test('a rank that never logs an identifier: its steps wait the timeout from the identifier first value', (t) => {
  const { w, rows, clock } = windowOf([0, 1], { timeoutMs: 1_000 });
  w.add(part(0, 0, 4, 'lr'));
  w.add(part(0, 1, 4, 'lr'));
  clock.t += 999;
  w.expire();
  t.deepEqual(rows, []);
  clock.t += 1;
  w.expire();
  t.deepEqual(summary(rows), [
    [0, 1, 4],
    [1, 1, 4],
  ]);
});

test('a full window drops its oldest open step, counts it and says so through the callback', (t) => {
  const { w, rows, drops } = windowOf([0, 1], { size: 4 });
  for (let s = 0; s < 10; s++) w.add(part(0, s, s));
  t.is(w.pending, 4);
  t.is(w.counts.aggregateDropped, 6);
  t.is(drops(), 6);
  for (let s = 0; s < 10; s++) w.add(part(1, s, 0));
  t.is(w.counts.aggregateLate, 6);
  t.deepEqual(
    rows.map((a) => a.step),
    [6, 7, 8, 9],
  );
});

test('close writes every open step with the ranks it has, oldest first', (t) => {
  const { w, rows } = windowOf([0, 1, 2]);
  w.add(part(0, 5, 1, 'a'));
  w.add(part(0, 5, 2, 'b'));
  w.add(part(1, 5, 3, 'a'));
  w.drain();
  t.deepEqual(
    rows.map((a) => [a.identifier, a.step, a.ranks]),
    [
      ['a', 5, 2],
      ['b', 5, 1],
    ],
  );
  t.is(w.pending, 0);
});
