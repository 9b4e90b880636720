/** The coordinator's end of one writer thread: the Worker and its comlink proxy. */
import { MessageChannel, Worker } from 'node:worker_threads';
import { warn } from '../util/diag.js';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { SHARED } from '../ring/layout.js';
import type { WriterApi, WriterInit } from '../writer/protocol.js';

export interface WriterHandle {
  readonly name: string;
  /** The backend's bit in record masks. */
  readonly index: number;
  readonly worker: Worker;
  readonly api: Comlink.Remote<WriterApi>;
  /** Resolves when the sink is open and the thread drains. */
  readonly started: Promise<void>;
  /** Rejects when the thread dies before close: race control calls against it so none hangs. */
  readonly died: Promise<never>;
  /** Set if the thread died. */
  error: Error | undefined;
  /** Resolves once every warning the writer posted so far has been shown. */
  syncWarnings(): Promise<void>;
}

export function spawnWriter(config: Omit<WriterInit, 'diagPort'>): WriterHandle {
  const { port1: diag, port2 } = new MessageChannel();
  const init: WriterInit = { ...config, diagPort: port2 };
  const worker = new Worker(new URL('../writer/writer-thread.js', import.meta.url), {
    workerData: init,
    transferList: init.aggregate?.port ? [port2, init.aggregate.port] : [port2],
    name: `ranklog-writer-${init.backendName}`,
  });
  let pings = 0;
  const pongs = new Map<number, () => void>();
  diag.on('message', (m: { warn?: string; pong?: number }) => {
    if (m.warn !== undefined) warn(`[ranklog ${init.backendName}] ${m.warn}`);
    if (m.pong !== undefined) pongs.get(m.pong)?.();
  });
  diag.unref();
  const api = Comlink.wrap<WriterApi>(nodeEndpoint(worker));
  let die!: (e: Error) => void;
  const died = new Promise<never>((_, reject) => (die = reject));
  died.catch(() => undefined);
  const handle: WriterHandle = {
    name: init.backendName,
    index: init.backend,
    worker,
    api,
    started: api.start(),
    died,
    error: undefined,
    syncWarnings() {
      if (handle.error) return Promise.resolve();
      const id = pings++;
      return new Promise<void>((resolve) => {
        const done = () => {
          pongs.delete(id);
          resolve();
        };
        pongs.set(id, done);
        diag.postMessage({ ping: id });
        died.catch(done);
      });
    },
  };
  const onDeath = (e: Error) => {
    if (handle.error) return;
    handle.error = e;
    // Producers must stop waiting for this backend even if the thread could not say so itself.
    Atomics.or(new Int32Array(init.sharedSab), SHARED.DEAD_WRITERS, 1 << init.backend);
    die(e);
  };
  worker.on('error', (e) => {
    process.stderr.write(`[ranklog] writer thread of ${init.backendName} died: ${e.stack ?? e.message}\n`);
    onDeath(e);
  });
  worker.on('exit', (code) => onDeath(new Error(`ranklog: the writer thread of ${init.backendName} exited (code ${code})`)));
  // A failure surfaces where `started` is awaited, not as an unhandled rejection.
  handle.started.catch(() => undefined);
  return handle;
}
