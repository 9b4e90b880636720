/**
 * Uploads a run directory's transaction log to W&B, as `wandb sync` does: the run, its config,
 * history, summary, system metrics, files and exit, through the same uploader a live online run
 * uses (so both send the same requests). For runs written offline, and for online runs whose
 * server went away (their log is the spool).
 */
import { RECORD, type RecordType } from '../records/fields.js';
import { fields } from '../records/proto-fields.js';
import { scanLog } from '../offline/log-scan.js';
import { transactionLogOf } from '../offline/replay.js';
import { join } from 'node:path';
import { DEFAULT_TIMING, RunUploader, type OnlineTiming, type UploaderCounters } from './run-uploader.js';
import { WandbHttp } from './wandb-http.js';

const TYPE_OF_FIELD = new Map<number, RecordType>(Object.entries(RECORD).flatMap(([name, field]) => (name === 'num' ? [] : [[field, name as RecordType]])));

export interface UploadResult {
  runId: string;
  records: number;
  completed: boolean;
  state: RunUploader['state'];
  reason: string;
  counters: UploaderCounters;
}

export async function uploadRun(
  runDir: string,
  server: { baseUrl: string; apiKey: string },
  opts: { timing?: Partial<OnlineTiming>; timeoutMs?: number; debug?: (m: string) => void } = {},
): Promise<UploadResult> {
  const http = new WandbHttp(server.baseUrl, server.apiKey);
  let stopped = false;
  // Everything is there already: send it as fast as the server takes it.
  const timing: OnlineTiming = { ...DEFAULT_TIMING, transmitMs: 0, configMs: 0, ...opts.timing };
  const uploader = new RunUploader(http, timing, join(runDir, 'files'), opts.debug ?? (() => undefined), () => {
    stopped = true;
  });
  let records = 0;
  let exit = false;
  try {
    const scan = scanLog(transactionLogOf(runDir), (record) => {
      for (const f of fields(record)) {
        const type = TYPE_OF_FIELD.get(f.field);
        if (type === undefined || f.wire !== 2) continue;
        // A history row carries its records; the count is only for the uploader's own counters.
        uploader.take(type, f.bytes, type === 'history' ? 1 : 0);
        if (type === 'exit') exit = true;
      }
      records++;
    });
    if (scan.validEnd === 0) throw new Error(`${runDir}: ${scan.stoppedBecause}; not a W&B transaction log`);
    if (!exit) throw new Error(`${runDir}: the run has no Exit record; end it first (ranklog-wandb-replay without --upload, or with --upload, which does it)`);
    uploader.commit();
    await uploader.finish(Date.now() + (opts.timeoutMs ?? 10 * 60_000));
    return {
      runId: uploader.runId,
      records,
      completed: uploader.state === 'sending',
      state: stopped ? 'stopped' : uploader.state,
      reason: uploader.reason,
      counters: uploader.counters,
    };
  } finally {
    http.close();
  }
}
