#!/usr/bin/env node
/**
 * ranklog-mlflow-replay <spool-dir> [--tracking-uri URI]
 * Sends what an MLflow backend could not deliver (its run directory's
 * mlflow-spool/) to the tracking server, in order, resuming after what was
 * already delivered. Credentials come from MLFLOW_TRACKING_USERNAME/PASSWORD
 * or MLFLOW_TRACKING_TOKEN, as for the logger.
 * Usage errors print one line and exit 2, never a stack trace.
 */
import { existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Delivery } from './spool/delivery.js';
import { WriteFailures } from '@ranklog/core/sink';
import { Spool } from './spool/spool.js';
import { storeFor } from './mlflow-sink.js';

const NAME = 'ranklog-mlflow-replay';
const USAGE = `usage: ${NAME} <spool-dir> [--tracking-uri URI]

Sends the records an MLflow backend of ranklog kept in its spool (the server was away) to the
tracking server, in order, resuming after what was already delivered.

  <spool-dir>           the directory the backend named: <savedir>/<run>/mlflow-spool/rank<r>
  --tracking-uri URI    the server (default MLFLOW_TRACKING_URI, else the one the run used)
  -h, --help            this text

Credentials: MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD or MLFLOW_TRACKING_TOKEN.
Exit status: 0 all replayed, 1 some records still waiting (server unreachable), 2 usage error.
`;

/** A mistake of the caller: said in one line with the fix, exit 2. */
class UsageError extends Error {}

function parse(): { dir: string; trackingUri: string | undefined } {
  let parsed: ReturnType<typeof parseArgs<{ options: { 'tracking-uri': { type: 'string' }; help: { type: 'boolean'; short: 'h' } }; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { 'tracking-uri': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}; see ${NAME} --help`);
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const [dir, ...extra] = parsed.positionals;
  if (dir === undefined) throw new UsageError(`no spool directory given; pass the one the backend named, e.g. ${NAME} mllogs/<run>/mlflow-spool/rank0`);
  if (extra.length > 0)
    throw new UsageError(`one spool directory at a time, not ${parsed.positionals.length} (${parsed.positionals.join(', ')}); run ${NAME} once per directory`);
  return { dir, trackingUri: parsed.values['tracking-uri'] };
}

async function main(): Promise<number> {
  const { dir, trackingUri } = parse();
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UsageError(`<spool-dir> ${JSON.stringify(dir)} is not a directory; pass <savedir>/<run>/mlflow-spool/rank<r>`);
  const spool = new Spool(dir);
  const state = spool.readState();
  if (!state) throw new UsageError(`<spool-dir> ${JSON.stringify(dir)} has no state.json; pass an mlflow-spool/rank<r> directory of a run`);
  const uri = trackingUri ?? process.env.MLFLOW_TRACKING_URI ?? state.trackingUri;
  let store: ReturnType<typeof storeFor>;
  try {
    store = storeFor(uri);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const before = spool.pendingRecords();
  const say = (m: string) => process.stderr.write(`${NAME}: ${m}\n`);
  const delivery = new Delivery(store, spool, state, say, new WriteFailures(say, NAME));
  await delivery.drain();
  delivery.stop();
  const left = delivery.undelivered();
  process.stdout.write(`${before - left} of ${before} records replayed to ${state.trackingUri}${left ? `; ${left} still waiting (server unreachable)` : ''}\n`);
  return left ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (e) {
  if (e instanceof UsageError) {
    process.stderr.write(`${NAME}: ${e.message}\n`);
    process.exitCode = 2;
  } else {
    // Not the caller's mistake: the message, and the stack only when asked for.
    process.stderr.write(`${NAME}: ${e instanceof Error ? e.message : String(e)}\n`);
    if (process.env.RANKLOG_DEBUG === '1') process.stderr.write(`${(e as Error)?.stack ?? ''}\n`);
    else process.stderr.write(`(RANKLOG_DEBUG=1 shows where it failed)\n`);
    process.exitCode = 1;
  }
}
// Keep-alive sockets and timers of the delivery must not hold the process open.
process.exit(process.exitCode);
