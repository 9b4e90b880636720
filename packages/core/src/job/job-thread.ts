/**
 * The job thread: one worker_thread per process of a job with a rendezvous. Rank 0's hosts the
 * rendezvous, the others' connect to it (docs/jobs.md). The training thread only posts it a
 * message at close; sockets, retries and waiting all happen here. Writers that aggregate across
 * ranks each have a port here: a member's send their partials to rank 0 through it, rank 0's
 * receive the members' partials from it (writer/aggregation.ts).
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { PartsMessage, PartTuple } from '../writer/aggregation.js';
import { JobHost } from './job-host.js';
import { JobMember } from './job-member.js';
import type { JobThreadInit, ToCoordinator, ToJobThread } from './job-thread-protocol.js';

const init = workerData as JobThreadInit;
const port = parentPort!;
const flag = new Int32Array(init.flag);
const post = (m: ToCoordinator) => port.postMessage(m);
const warn = (message: string) => post({ t: 'warn', message });
/** How long a member's end waits for its writers' last partials (they close just before), ms. */
const FINAL_WAIT_MS = 10_000;
/** Partials held for a writer whose port has not come yet (rank 0's context starts right after listening), at most. */
const HOLD_MAX = 1 << 16;

/** Say the end was handed over: an exit path blocked on Atomics.wait learns it here. */
function done(): void {
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

if (init.role === 'host') {
  const host = new JobHost(init.address, init.welcome, init.expected, warn);
  const writers = new Map<number, MessagePort>();
  const held = new Map<number, PartTuple[]>();
  let heldDropped = 0;
  host.onParts = (b, tuples) => {
    const w = writers.get(b);
    if (w) return w.postMessage({ parts: tuples } satisfies PartsMessage);
    const h = held.get(b) ?? [];
    if (h.length + tuples.length > HOLD_MAX) heldDropped += tuples.length;
    else held.set(b, h.concat(tuples));
  };
  host.listen().then(
    () => post({ t: 'ready', welcome: init.welcome }),
    (e: unknown) => post({ t: 'solo', reason: e instanceof Error ? e.message : String(e) }),
  );
  port.on('message', async (m: ToJobThread) => {
    if (m.t === 'aggPort') {
      writers.set(m.backend, m.port);
      const h = held.get(m.backend);
      if (h) m.port.postMessage({ parts: h } satisfies PartsMessage);
      held.delete(m.backend);
      return;
    }
    host.endSelf(m.status);
    const notice = setTimeout(() => {
      const left = host.pending();
      if (left.length > 0)
        warn(
          `waiting up to ${Math.round(m.waitMs / 1000)} s for rank${left.length > 1 ? 's' : ''} ${left.join(', ')} to end: the job's end status needs every rank's`,
        );
    }, 2000);
    const end = await host.waitEnd(m.waitMs);
    clearTimeout(notice);
    // Every member sent its partials before its end (one stream): rank 0's writers have them all now.
    for (const w of writers.values()) w.postMessage({ parts: [], final: true } satisfies PartsMessage);
    if (heldDropped + held.size > 0 || host.malformedParts > 0)
      warn(
        `aggregates: ${heldDropped + [...held.values()].reduce((s, h) => s + h.length, 0)} partials for a backend rank 0 does not log to, ${host.malformedParts} malformed; not aggregated`,
      );
    await host.close(end);
    post({ t: 'jobEnd', end, received: host.received });
    done();
  });
} else {
  const member = new JobMember(init.address, init.hello, warn, () => post({ t: 'hostGone' }));
  member.join(init.joinTimeoutMs).then((r) => post(r.ok ? { t: 'ready', welcome: r.welcome } : { t: 'solo', reason: r.reason }));
  const finals: Promise<void>[] = [];
  port.on('message', async (m: ToJobThread) => {
    if (m.t === 'aggPort') {
      let final!: () => void;
      finals.push(new Promise((resolve) => (final = resolve)));
      m.port.on('message', (p: PartsMessage) => {
        if (p.parts.length > 0) member.sendParts(m.backend, p.parts);
        if (p.final) final();
      });
      return;
    }
    // The writers closed before this end was posted; their last partials may still be on their way here.
    let timer: NodeJS.Timeout | undefined;
    if (m.waitMs > 0) await Promise.race([Promise.all(finals), new Promise<void>((resolve) => (timer = setTimeout(resolve, FINAL_WAIT_MS)))]);
    clearTimeout(timer);
    await member.end(m.status);
    if (member.partsLost > 0) warn(`aggregates: ${member.partsLost} partials not sent: the connection to rank 0 was gone`);
    post({ t: 'ended', sent: member.sent });
    done();
  });
}
