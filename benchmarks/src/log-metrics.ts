/**
 * logMetrics against single metric() calls: a set of 4 scalars per step, logged as 4 metric()
 * calls, as logMetrics(handle, Float64Array) (the fast variant) and as logMetrics({ … }) (the
 * object form), into NullLogger. The three run in alternating bursts that fit the ring (a flush,
 * untimed, before each triple), so each ratio compares batches of the same moment of the machine.
 * Figures are ns per set of 4 values.
 */
import { NullLogger } from '@ranklog/core';
import { nsResult, summarize, type Config, type Result } from './harness.js';

export async function pairedLogMetrics(cfg: Config): Promise<Result[]> {
  const lg = new NullLogger({ logFreq: 'batch' });
  await lg.createLoggerContext({ rank: 0, runName: 'bench-log-metrics', handleSignals: false });
  const hs = ['loss', 'acc', 'lr', 'grad_norm'].map((id) => lg.handle(id));
  const [h0, h1, h2, h3] = hs as [(typeof hs)[0], (typeof hs)[0], (typeof hs)[0], (typeof hs)[0]];
  const m = lg.metricsHandle(['loss', 'acc', 'lr', 'grad_norm']);
  const values = new Float64Array(4);
  let s = 0;
  const singles = (n: number) => {
    for (let i = 0; i < n; i++, s++) {
      const x = s * 1e-6;
      lg.metric(h0, x, s, i);
      lg.metric(h1, x + 1, s, i);
      lg.metric(h2, x + 2, s, i);
      lg.metric(h3, x + 3, s, i);
    }
  };
  const handle = (n: number) => {
    for (let i = 0; i < n; i++, s++) {
      const x = s * 1e-6;
      values[0] = x;
      values[1] = x + 1;
      values[2] = x + 2;
      values[3] = x + 3;
      lg.logMetrics(m, values, s, i);
    }
  };
  const object = (n: number) => {
    for (let i = 0; i < n; i++, s++) {
      const x = s * 1e-6;
      lg.logMetrics({ loss: x, acc: x + 1, lr: x + 2, grad_norm: x + 3 }, { step: s, batchIdx: i });
    }
  };
  const batch = 12_500; // 50k records per burst: fits the default 8 MiB ring
  const rounds = cfg.quick ? 15 : 80;
  const a: number[] = [];
  const b: number[] = [];
  const c: number[] = [];
  for (let r = -5; r < rounds; r++) {
    const times: number[] = [];
    for (const body of [singles, handle, object]) {
      await lg.flush();
      const t0 = process.hrtime.bigint();
      body(batch);
      times.push(Number(process.hrtime.bigint() - t0) / batch);
    }
    if (r < 0) continue; // warm-up
    a.push(times[0]!);
    b.push(times[1]!);
    c.push(times[2]!);
  }
  const st = await lg.destroyLoggerContext();
  const ratio = (xs: number[]) => Number(summarize(xs.map((x, i) => x / a[i]!)).median.toFixed(2));
  const extra = { recordsIn: st.recordsIn, dropped: st.dropped };
  return [
    nsResult('hot.metrics.singles4', '4 × metric(handle, v, step, batchIdx), per set of 4 (alternating with the two below)', a, undefined, extra),
    nsResult('hot.metrics.handle4', 'logMetrics(metricsHandle, Float64Array(4), step, batchIdx), per set of 4', b, 'hot.metrics.singles4', {
      ratioOfRoundsMedian: ratio(b),
    }),
    nsResult('hot.metrics.object4', 'logMetrics({ loss, acc, lr, grad_norm }, { step, batchIdx }), per set of 4', c, 'hot.metrics.singles4', {
      ratioOfRoundsMedian: ratio(c),
    }),
  ];
}
