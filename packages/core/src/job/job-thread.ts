/**
 * The job thread: one worker_thread per process of a job with a rendezvous. Rank 0's hosts the
 * rendezvous, the others' connect to it (docs/jobs.md). The training thread only posts it a
 * message at close; sockets, retries and waiting all happen here.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { JobHost } from './job-host.js';
import { JobMember } from './job-member.js';
import type { JobThreadInit, ToCoordinator, ToJobThread } from './job-thread-protocol.js';

const init = workerData as JobThreadInit;
const port = parentPort!;
const flag = new Int32Array(init.flag);
const post = (m: ToCoordinator) => port.postMessage(m);
const warn = (message: string) => post({ t: 'warn', message });

/** Say the end was handed over: an exit path blocked on Atomics.wait learns it here. */
function done(): void {
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

if (init.role === 'host') {
  const host = new JobHost(init.address, init.welcome, init.expected, warn);
  host.listen().then(
    () => post({ t: 'ready', welcome: init.welcome }),
    (e: unknown) => post({ t: 'solo', reason: e instanceof Error ? e.message : String(e) }),
  );
  port.on('message', async (m: ToJobThread) => {
    if (m.t !== 'end') return;
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
    await host.close(end);
    post({ t: 'jobEnd', end, received: host.received });
    done();
  });
} else {
  const member = new JobMember(init.address, init.hello, warn, () => post({ t: 'hostGone' }));
  member.join(init.joinTimeoutMs).then((r) => post(r.ok ? { t: 'ready', welcome: r.welcome } : { t: 'solo', reason: r.reason }));
  port.on('message', async (m: ToJobThread) => {
    if (m.t !== 'end') return;
    await member.end(m.status);
    post({ t: 'ended', sent: member.sent });
    done();
  });
}
