/**
 * The offline delivery: an offline-run-… directory and its transaction log, which `wandb sync`
 * uploads later (from a login node, for a compute node without network).
 */
import type { WriteFailures } from '@ranklog/core/sink';
import type { RecordType } from '../records/fields.js';
import type { RunDelivery } from '../run/delivery.js';
import type { RunDirectory } from './run-directory.js';
import { TransactionLog } from './transaction-log.js';

export class OfflineDelivery implements RunDelivery {
  private readonly log: TransactionLog;

  constructor(
    readonly directory: RunDirectory,
    failures: WriteFailures,
  ) {
    this.log = new TransactionLog(directory.logPath, failures, () => directory.prepare());
  }

  get filesDir(): string {
    return this.directory.filesDir;
  }

  prepare(): void {
    this.directory.prepare();
  }

  add(type: RecordType, message: Uint8Array, carries = 0): void {
    this.log.add(type, message, carries);
  }

  addRequired(type: RecordType, message: Uint8Array): void {
    this.log.addRequired(type, message);
  }

  commit(): void {
    this.log.commit();
  }

  close(): void {
    this.log.close();
  }

  get records(): number {
    return this.log.records;
  }

  get bytes(): number {
    return this.log.written;
  }
}
