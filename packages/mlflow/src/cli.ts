#!/usr/bin/env node
/**
 * ranklog-mlflow-replay <spool-dir> [--tracking-uri URI]
 * Sends what an MLflow backend could not deliver (its run directory's
 * mlflow-spool/) to the tracking server, in order, resuming after what was
 * already delivered. Credentials come from MLFLOW_TRACKING_USERNAME/PASSWORD
 * or MLFLOW_TRACKING_TOKEN, as for the logger.
 */
import { parseArgs } from 'node:util';
import { Delivery } from './spool/delivery.js';
import { WriteFailures } from '@ranklog/core/sink';
import { Spool } from './spool/spool.js';
import { storeFor } from './mlflow-sink.js';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { 'tracking-uri': { type: 'string' } } });
const dir = positionals[0];
if (!dir) {
  process.stderr.write('usage: ranklog-mlflow-replay <spool-dir> [--tracking-uri URI]\n');
  process.exit(2);
}
const spool = new Spool(dir);
const state = spool.readState();
if (!state) {
  process.stderr.write(`ranklog-mlflow-replay: ${dir} has no state.json; is it an mlflow-spool directory?\n`);
  process.exit(2);
}
const uri = values['tracking-uri'] ?? process.env.MLFLOW_TRACKING_URI ?? state.trackingUri;
const before = spool.pendingRecords();
const say = (m: string) => process.stderr.write(`ranklog-mlflow-replay: ${m}\n`);
const delivery = new Delivery(storeFor(uri), spool, state, say, new WriteFailures(say, 'ranklog-mlflow-replay'));
await delivery.drain();
delivery.stop();
const left = delivery.undelivered();
process.stdout.write(`${before - left} of ${before} records replayed to ${state.trackingUri}${left ? `; ${left} still waiting (server unreachable)` : ''}\n`);
process.exit(left ? 1 : 0);
