/**
 * onTrainBegin's hyperparameters: the fit configuration tfjs gives callbacks (epochs, batch size,
 * steps, validation) and what the model says of itself (optimizer and its config, loss, metrics,
 * size), as one nested object for saveHyperparameters() (nested keys become fit.epochs, …).
 */
import type { LayersModel, Params } from './tfjs-types.js';

export function fitHyperparameters(params: Params): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ['epochs', 'initialEpoch', 'batchSize', 'samples', 'steps', 'doValidation'] as const) {
    const v = params[key];
    if (v !== undefined && v !== null) out[key] = v;
  }
  return out;
}

export function modelHyperparameters(model: LayersModel): Record<string, unknown> {
  const out: Record<string, unknown> = { name: model.name, layers: model.layers.length, params: model.countParams() };
  const optimizer = model.optimizer;
  if (optimizer) {
    const config: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(optimizer.getConfig())) if (isParam(v)) config[k] = v;
    out.optimizer = { name: optimizer.getClassName(), ...config };
  }
  const loss = model.loss as unknown;
  if (loss !== undefined) out.loss = lossName(loss);
  const metrics = model.metricsNames;
  if (metrics && metrics.length > 0) out.metrics = metrics.join(', ');
  return out;
}

function isParam(v: unknown): v is string | number | boolean | null {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** A loss is a name, a function, or a list or map of them (several outputs). */
function lossName(loss: unknown): string {
  if (typeof loss === 'string') return loss;
  if (typeof loss === 'function') return loss.name || 'custom';
  if (Array.isArray(loss)) return loss.map(lossName).join(', ');
  if (typeof loss === 'object' && loss !== null)
    return Object.entries(loss)
      .map(([k, v]) => `${k}: ${lossName(v)}`)
      .join(', ');
  return String(loss);
}
