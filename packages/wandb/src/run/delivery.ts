/**
 * Where a run's records go. The run turns ranklog records into W&B records and files; a delivery
 * stores them. Offline (offline/), that is the run directory's transaction log, for `wandb sync`.
 * An online delivery goes beside it (online/): it also keeps the transaction log, as wandb does
 * online, and sends the records to the server; the sink chooses one by mode.
 */
import type { RecordType } from '../records/fields.js';

export interface RunDelivery {
  /** The run directory's files/: media, dicts and artifact copies are put there before their records. */
  readonly filesDir: string;
  /** Create the run directory (idempotent; throws while the disk refuses). */
  prepare(): void;
  /** A record for the next commit; `carries` ranklog records are lost if it cannot be stored. */
  add(type: RecordType, message: Uint8Array, carries?: number): void;
  /** A record the run cannot do without (header, run, metric definitions): kept until it is stored. */
  addRequired(type: RecordType, message: Uint8Array): void;
  /** Store what was added (losses are counted by the sink's WriteFailures). */
  commit(): void;
  /** After the last commit (the Exit and Final records are in it). */
  close(): void;
  /** Online: send what is waiting now (logger.flush()). */
  flush?(): Promise<void>;
  /** Online, after close(): send the rest and end the run on the server, giving up at `deadlineMs` (Date.now() time). */
  finish?(deadlineMs: number): Promise<void>;
  /** Records stored and bytes written, for stats(). */
  readonly records: number;
  readonly bytes: number;
}
