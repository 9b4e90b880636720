/** The coordinator's end of one writer thread: the Worker and its comlink proxy. */
import { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { WriterApi, WriterInit } from '../writer/protocol.js';

export interface WriterHandle {
  readonly name: string;
  readonly worker: Worker;
  readonly api: Comlink.Remote<WriterApi>;
  /** Resolves when the sink is open and the thread drains. */
  readonly started: Promise<void>;
  /** Set if the thread died. */
  error: Error | undefined;
}

export function spawnWriter(init: WriterInit): WriterHandle {
  const worker = new Worker(new URL('../writer/writer-thread.js', import.meta.url), {
    workerData: init,
    name: `ranklog-writer-${init.backendName}`,
    // Writers are plumbing: they must not keep the process alive after the user's code ends without destroy.
  });
  const api = Comlink.wrap<WriterApi>(nodeEndpoint(worker));
  const handle: WriterHandle = { name: init.backendName, worker, api, started: api.start(), error: undefined };
  worker.on('error', (e) => {
    handle.error = e;
    process.stderr.write(`[ranklog] writer thread of ${init.backendName} died: ${e.stack ?? e.message}\n`);
  });
  // Unhandled until someone awaits it: keep a no-op handler so a failure surfaces where it is awaited, not as a crash.
  handle.started.catch(() => undefined);
  return handle;
}
