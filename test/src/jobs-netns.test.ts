/**
 * A job across two "machines" (docs/jobs.md "Across machines"): two network namespaces made here,
 * joined by a veth pair with private addresses that exist only inside them (10.77.0.1/24 and
 * 10.77.0.2/24), 2 ranks started in each with `ip netns exec` and a torchrun-style environment
 * (MASTER_ADDR = the first namespace's address), one shared run directory. The rendezvous runs over
 * that link: rank 0 aggregates the other machine's ranks and the job ends FINISHED; SIGKILLing the
 * second machine's ranks ends it FAILED with both named. Needs root and iproute2 (skipped, saying
 * so, otherwise); the namespaces are deleted in teardown, also when the test fails.
 */
import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobRankConfig } from './fixtures/job-rank.js';
import { readAggregatesCsv } from './support/aggregate-check.js';
import { childEnv, dropAmbientEnv } from './support/child-process.js';
import { csvRanks } from './support/csv-ranks.js';
import { type Ended, rankLines, run } from './support/job-processes.js';
import { lastSummary, tbJobEnd, wandbJobRuns } from './support/job-end-check.js';
import { experimentIdsNamed, runsIn } from './support/mlruns-reader.js';
import { TEST_TIMEOUT_MS, waitFor } from './support/wait-for.js';

const CHILD = fileURLToPath(new URL('./fixtures/job-rank.js', import.meta.url));
const LIVE = { RANKLOG_RENDEZVOUS_TIMEOUT_S: '300', RANKLOG_JOB_END_WAIT_S: '300' };
const N = 500;
const ADDR = ['10.77.0.1', '10.77.0.2'] as const;
const CAN =
  process.getuid?.() === 0 && spawnSync('ip', ['netns', 'list']).status === 0
    ? undefined
    : 'needs root and iproute2 (ip netns): it creates two network namespaces and a veth pair';
dropAmbientEnv();

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

/** Two namespaces joined by a veth pair; deleted in teardown (which removes the pair too). */
function twoMachines(t: ExecutionContext, tag: string): [string, string] {
  const id = `${process.pid % 100000}${tag}`;
  const ns: [string, string] = [`rlA${id}`, `rlB${id}`];
  t.teardown(() => {
    for (const n of ns) spawnSync('ip', ['netns', 'del', n]);
  });
  const veth = [`rva${id}`, `rvb${id}`];
  for (const n of ns) ip(['netns', 'add', n]);
  ip(['link', 'add', veth[0]!, 'type', 'veth', 'peer', 'name', veth[1]!]);
  for (const i of [0, 1]) {
    ip(['link', 'set', veth[i]!, 'netns', ns[i]!]);
    ip(['-n', ns[i]!, 'addr', 'add', `${ADDR[i]}/24`, 'dev', veth[i]!]);
    ip(['-n', ns[i]!, 'link', 'set', veth[i]!, 'up']);
    ip(['-n', ns[i]!, 'link', 'set', 'lo', 'up']);
  }
  return ns;
}

/** Ranks 0, 1 on the first machine, 2, 3 on the second. */
function startJob(t: ExecutionContext, ns: [string, string], cfg: JobRankConfig, onOutput?: Parameters<typeof run>[4][]): Promise<Ended>[] {
  return [0, 1, 2, 3].map((r) =>
    run(
      t,
      'ip',
      ['netns', 'exec', ns[r < 2 ? 0 : 1], process.execPath, CHILD, JSON.stringify(cfg)],
      childEnv({
        ...LIVE,
        RANK: String(r),
        WORLD_SIZE: '4',
        LOCAL_RANK: String(r % 2),
        LOCAL_WORLD_SIZE: '2',
        MASTER_ADDR: ADDR[0],
        MASTER_PORT: '29500',
      }),
      onOutput?.[r],
    ),
  );
}

function runDir(savedir: string): string {
  return join(savedir, readdirSync(savedir).filter((d) => d !== 'tb' && d !== 'mlruns' && d !== 'gate' && d !== 'wb')[0]!);
}

(CAN ? test.skip : test)(
  "two machines (network namespaces): the rendezvous over the link, rank 0 aggregates the other machine's ranks, FINISHED",
  async (t) => {
    t.timeout(TEST_TIMEOUT_MS);
    const ns = twoMachines(t, 'f');
    const savedir = mkdtempSync(join(tmpdir(), 'ranklog-netns-'));
    t.teardown(() => rmSync(savedir, { recursive: true, force: true }));
    const ends = await Promise.all(startJob(t, ns, { savedir, n: N, aggregate: true }));
    for (const [r, e] of ends.entries()) t.is(e.code, 0, `rank ${r}: ${e.stderr}`);
    const host = rankLines(ends[0]!.stdout)[0]!;
    t.is(host.job?.status, 'finished', ends[0]!.stderr);
    t.deepEqual(host.job?.ranks, { 0: 'finished', 1: 'finished', 2: 'finished', 3: 'finished' });
    t.is(host.aggregate?.aggregateSteps, N);
    const dir = runDir(savedir);
    const rows = readAggregatesCsv(join(dir, 'aggregates.csv')).get('loss')!;
    t.is(rows.size, N);
    for (let i = 0; i < N; i++) {
      const a = rows.get(i)!;
      // Ranks 2 and 3 logged 2e6 + i and 3e6 + i on the other machine: max and the mean show they arrived.
      t.deepEqual([a.ranks, a.stats.get('max'), a.stats.get('mean')], [4, 3e6 + i, 1.5e6 + i], `step ${i}`);
    }
    t.deepEqual(csvRanks(join(dir, 'metrics.csv')), [0, 1, 2, 3]);
    t.is(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).job.status, 'finished');
    const mlruns = join(savedir, 'mlruns');
    const parents = runsIn(mlruns, experimentIdsNamed(mlruns, 'jobs')[0]!).filter((r) => r.tags.has('ranklog.job'));
    t.deepEqual(
      parents.map((p) => p.status),
      ['FINISHED'],
    );
  },
);

(CAN ? test.skip : test)("two machines: the second machine's ranks SIGKILLed, the job ends FAILED with both named", async (t) => {
  t.timeout(TEST_TIMEOUT_MS);
  const ns = twoMachines(t, 'k');
  const savedir = mkdtempSync(join(tmpdir(), 'ranklog-netns-'));
  t.teardown(() => rmSync(savedir, { recursive: true, force: true }));
  const gate = join(savedir, 'gate');
  const waiting = new Set<number>();
  const watch = [0, 1, 2, 3].map((r) => (out: string) => {
    if (out.includes(`rank ${r} waits for the gate`)) waiting.add(r);
  });
  const ends = startJob(t, ns, { savedir, n: N, wandb: true, gate: { file: gate, ranks: [0, 1, 2, 3] } }, watch);
  // Every rank logged and flushed; then the second machine's processes die at once.
  t.true(await waitFor(() => waiting.size === 4), 'every rank reached the gate');
  // `ip netns exec` execs node: the processes in the second namespace are ranks 2 and 3, nothing else.
  const pids = spawnSync('ip', ['netns', 'pids', ns[1]], { encoding: 'utf8' }).stdout.trim().split('\n').map(Number);
  t.is(pids.length, 2, `two processes in ${ns[1]}`);
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  const dead = await Promise.all([ends[2]!, ends[3]!]);
  for (const e of dead) t.is(e.signal, 'SIGKILL');
  writeFileSync(gate, '');
  const [host, one] = await Promise.all([ends[0]!, ends[1]!]);
  t.is(one!.code, 0, one!.stderr);
  t.is(host!.code, 0, host!.stderr);
  const h = rankLines(host!.stdout)[0]!;
  t.is(h.job?.status, 'failed');
  t.deepEqual(h.job?.ranks, { 0: 'finished', 1: 'finished', 2: 'vanished', 3: 'vanished' });
  t.regex(host!.stderr, /the job ended FAILED: rank 2 vanished .*; rank 3 vanished/);
  const rj = JSON.parse(readFileSync(join(runDir(savedir), 'run.json'), 'utf8'));
  t.is(rj.job.status, 'failed');
  t.deepEqual(rj.job.rank_ends, { 0: 'finished', 1: 'finished', 2: 'vanished', 3: 'vanished' });
  const mlruns = join(savedir, 'mlruns');
  const parent = runsIn(mlruns, experimentIdsNamed(mlruns, 'jobs')[0]!).find((r) => r.tags.has('ranklog.job'))!;
  t.is(parent.status, 'FAILED');
  const runName = runDir(savedir).split('/').pop()!;
  t.regex(tbJobEnd(join(savedir, 'tb'), runName) ?? '', /^\*\*FAILED\*\*: rank 2 vanished [\s\S]*\| 3 \| vanished \|/);
  const wj = wandbJobRuns(join(savedir, 'wb'), runName);
  t.is(wj.length, 1);
  t.is(lastSummary(wj[0]!, 'job/status'), 'failed');
  t.regex(String(lastSummary(wj[0]!, 'job/summary')), /rank 2 vanished .*; rank 3 vanished/);
  t.is(wj[0]!.exit?.exitCode, 1);
});

if (CAN) test.skip(`two machines (network namespaces): skipped, ${CAN}`, () => undefined);
