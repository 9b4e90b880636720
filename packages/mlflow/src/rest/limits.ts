/** runs/log-batch limits of a real tracking server (as observed on an MLflow 2.17 tracking server; the README's MLflow section). */
export const MAX_METRICS_PER_BATCH = 1000;
export const MAX_PARAMS_PER_BATCH = 100;
export const MAX_TAGS_PER_BATCH = 100;
export const MAX_ITEMS_PER_BATCH = 1000;
export { MAX_KEY_LENGTH, MAX_PARAM_VALUE_LENGTH, MAX_TAG_VALUE_LENGTH } from '../filestore/validation.js';

import type { Batch } from '../store.js';

/** Split a batch into requests that each respect every limit, keeping each list's order. */
export function splitBatch(batch: Batch): Batch[] {
  const out: Batch[] = [];
  let m = 0;
  let p = 0;
  let t = 0;
  while (m < batch.metrics.length || p < batch.params.length || t < batch.tags.length) {
    const params = batch.params.slice(p, p + MAX_PARAMS_PER_BATCH);
    const tags = batch.tags.slice(t, t + Math.min(MAX_TAGS_PER_BATCH, MAX_ITEMS_PER_BATCH - params.length));
    const metrics = batch.metrics.slice(m, m + Math.min(MAX_METRICS_PER_BATCH, MAX_ITEMS_PER_BATCH - params.length - tags.length));
    p += params.length;
    t += tags.length;
    m += metrics.length;
    out.push({ metrics, params, tags });
  }
  return out;
}
