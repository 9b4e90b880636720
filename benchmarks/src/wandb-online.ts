/**
 * The online W&B client's throughput: records/s from the first log() until
 * destroyLoggerContext() returns, which for the online mode means the server (the W&B double, in
 * a process of its own) has taken the whole run and its `complete`. The baseline, measured in the
 * same run, is the offline mode (the same transaction log, no server). Median of several runs.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { WandBLogger } from '@ranklog/wandb';
import { summarize, type Config, type Result } from './harness.js';

const KEY = 'local-bench0123456789abcdef0123456789abcdef01';

async function startDouble(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, [new URL('./wandb-double-process.js', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the W&B double exited (${code})`)));
  });
  return { url: (JSON.parse(line) as { url: string }).url, stop: () => child.kill('SIGTERM') };
}

async function once(cfg: Config, online: string | undefined, records: number, i: number): Promise<number> {
  const savedir = mkdtempSync(join(cfg.tmp, `wandb-${online ? 'online' : 'offline'}-`));
  const saved = { ...process.env };
  if (online) Object.assign(process.env, { WANDB_MODE: 'online', WANDB_BASE_URL: online, WANDB_API_KEY: KEY });
  let logger: WandBLogger;
  try {
    logger = new WandBLogger({ savedir, logFreq: 'batch', offlineMode: online === undefined, runId: `bench${i}`, projectName: 'bench', fileStreamSecs: 1 });
  } finally {
    for (const k of ['WANDB_MODE', 'WANDB_BASE_URL', 'WANDB_API_KEY']) if (saved[k] === undefined) delete process.env[k];
  }
  await logger.createLoggerContext({ rank: 0, runName: 'bench', handleSignals: false });
  const t0 = performance.now();
  for (let s = 0; s < records; s++) logger.log(1 / (s + 1), 'train/loss', { kind: 'metric', step: s, batchIdx: s });
  const stats = await logger.destroyLoggerContext();
  const secs = (performance.now() - t0) / 1000;
  const b = (stats as { backends?: Record<string, number>[] }).backends?.[0];
  if (online && (b?.wandbOffline !== 0 || b?.wandbNotSent !== 0)) throw new Error(`the online run was not sent whole: ${JSON.stringify(b)}`);
  return records / secs;
}

export async function wandbOnline(cfg: Config): Promise<Result[]> {
  const records = cfg.quick ? 100_000 : 1_000_000;
  const runs = cfg.quick ? 3 : 5;
  const server = await startDouble();
  try {
    const offline: number[] = [];
    const online: number[] = [];
    for (let i = 0; i < runs; i++) {
      // Interleaved, so a change of machine load touches both alike.
      offline.push(await once(cfg, undefined, records, i));
      online.push(await once(cfg, server.url, records, runs + i));
    }
    const row = (id: string, label: string, xs: number[], ratioTo?: string): Result => ({
      id,
      label,
      unit: 'records/s',
      ...summarize(xs),
      ratioTo,
      extra: { records },
    });
    return [
      row('wandb.offline', `WandBLogger offline (transaction log only), ${records} metrics`, offline),
      row('wandb.online', `WandBLogger online to the W&B double (log + file stream until complete), ${records} metrics`, online, 'wandb.offline'),
    ];
  } finally {
    server.stop();
  }
}
