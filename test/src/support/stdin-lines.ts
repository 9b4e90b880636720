/**
 * The child side of the tests' process control: lines the parent writes to this process's
 * stdin, read one at a time, and the start barrier (support/child-process.ts startGate is the
 * parent side). A child that reads its stdin must call stopReading() after its last line, or
 * stdin keeps it alive.
 */
import { createInterface, type Interface } from 'node:readline';

/** The line a child prints when it waits at the start barrier. */
export const WAITING_LINE = 'waiting to start';
/** The line the parent sends to let every waiting child go at once. */
export const GO_LINE = 'go';

let rl: Interface | undefined;
const queued: string[] = [];
const waiting: ((line: string) => void)[] = [];

/** The next line on stdin (waits for it). */
export function nextLine(): Promise<string> {
  rl ??= createInterface({ input: process.stdin }).on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else queued.push(l);
  });
  const l = queued.shift();
  return l !== undefined ? Promise.resolve(l) : new Promise((resolve) => waiting.push(resolve));
}

/** No more lines are needed: stop reading, so stdin does not keep the process alive. */
export function stopReading(): void {
  rl?.close();
  process.stdin.destroy();
}

/** Print WAITING_LINE and wait for the parent's GO_LINE: every process of a race starts at one instant. */
export async function startBarrier(): Promise<void> {
  process.stdout.write(`${WAITING_LINE}\n`);
  const l = await nextLine();
  if (l !== GO_LINE) throw new Error(`start barrier: expected "${GO_LINE}" on stdin, got ${JSON.stringify(l)}`);
}
