/**
 * The online delivery: what wandb does online. Every record goes to the run directory's
 * transaction log, as offline (wandb keeps that log online too), and to the uploader, which sends
 * it to the server beside. The log is what makes commit() durable; the server gets the records
 * a moment later. If the server stays away past the retries, or the run is stopped in the UI,
 * sending ends and the log is the spool: `wandb sync <run dir>` (or `ranklog-wandb-replay
 * --upload`) sends it later.
 */
import type { WriteFailures } from '@ranklog/core/sink';
import { OfflineDelivery } from '../offline/offline-delivery.js';
import type { RunDirectory } from '../offline/run-directory.js';
import type { RecordType } from '../records/fields.js';
import type { RunDelivery } from '../run/delivery.js';
import type { RunUploader } from './run-uploader.js';

export class OnlineDelivery implements RunDelivery {
  private readonly offline: OfflineDelivery;

  constructor(
    readonly directory: RunDirectory,
    failures: WriteFailures,
    readonly uploader: RunUploader,
  ) {
    this.offline = new OfflineDelivery(directory, failures);
  }

  get filesDir(): string {
    return this.offline.filesDir;
  }

  prepare(): void {
    this.offline.prepare();
  }

  add(type: RecordType, message: Uint8Array, carries = 0): void {
    this.offline.add(type, message, carries);
    this.uploader.take(type, message, carries);
  }

  addRequired(type: RecordType, message: Uint8Array): void {
    this.offline.addRequired(type, message);
    this.uploader.take(type, message);
  }

  commit(): void {
    this.offline.commit();
    this.uploader.commit();
  }

  close(): void {
    this.offline.close();
  }

  flush(): Promise<void> {
    return this.uploader.flush();
  }

  finish(deadlineMs: number): Promise<void> {
    return this.uploader.finish(deadlineMs);
  }

  get records(): number {
    return this.offline.records;
  }

  get bytes(): number {
    return this.offline.bytes;
  }
}
