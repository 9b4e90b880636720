/**
 * Writes the hparams plugin's records the way TensorBoard's HPARAMS dashboard
 * reads them (it keeps only the FIRST record of each tag in a run):
 * - a session_start_info, once per TensorBoard run (the run directory, or each
 *   rank_<r>/), at the first commit after params arrive — every rank's run gets
 *   the job's params, with group_name = the run name so one job is one row;
 * - a session_end_info with the end status, once per run, at close;
 * - no experiment record: TensorBoard then infers the hparam columns and takes
 *   every scalar tag of the session's run as a metric, including tags that
 *   appear after the session started.
 */
import type { RunEndReason } from '@ranklog/core/sink';
import type { EventFile } from '../record/event-file.js';
import { summaryEvent } from '../record/event.js';
import { sessionEndValue, sessionStartValue } from './hparams.js';

export type ParamValue = string | number | boolean | null;

export class HparamsCollector {
  private readonly params = new Map<string, ParamValue>();
  /** Runs, and whether their session_start_info is written. */
  private readonly runs = new Map<EventFile, boolean>();
  private readonly startSecs = Date.now() / 1000;
  private lateParams = 0;

  constructor(
    private readonly groupName: string,
    private readonly debug: (message: string) => void,
  ) {}

  addRun(file: EventFile): void {
    this.runs.set(file, false);
  }

  addParam(key: string, value: ParamValue): void {
    if (this.params.get(key) === value && this.params.has(key)) return;
    const started = [...this.runs.values()].some((s) => s);
    if (started && this.lateParams++ === 0) {
      this.debug(`param '${key}' arrived after the hparams session started; TensorBoard's HPARAMS tab shows only the first session record of a run`);
    }
    this.params.set(key, value);
  }

  /** Start the session of every run that has none yet (appended to the run's buffer; the caller flushes). */
  flush(): void {
    if (this.params.size === 0) return;
    let start: Uint8Array | undefined;
    for (const [file, started] of this.runs) {
      if (started) continue;
      start ??= sessionStartValue({ hparams: this.params, startTimeSecs: this.startSecs, groupName: this.groupName });
      file.appendRequired(summaryEvent(this.startSecs, 0, start)); // kept until written, also across a full disk
      this.runs.set(file, true);
    }
  }

  /**
   * End every session: 'finished' is SUCCESS; a signal or an uncaught exception is FAILURE.
   * `own`: runs that end with their own status (the job-level run ends with the job's).
   */
  finish(reason: RunEndReason, own: ReadonlyMap<EventFile, RunEndReason> = new Map()): void {
    this.flush();
    if (this.params.size === 0) return;
    const now = Date.now() / 1000;
    // The hparams Status has no ABORTED: a killed run is a FAILURE, as in the ranks' runs.
    const endOf = (r: RunEndReason) => sessionEndValue({ status: r === 'finished' ? 'success' : 'failure', endTimeSecs: now });
    for (const file of this.runs.keys()) file.out.append(summaryEvent(now, 0, endOf(own.get(file) ?? reason)));
  }

  get paramsAfterStart(): number {
    return this.lateParams;
  }
}
