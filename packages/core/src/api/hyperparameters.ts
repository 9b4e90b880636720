import { argError } from '../vocab/errors.js';
import { checkIdentifier, loneSurrogateError } from '../vocab/validate.js';
import { toJsonValue } from '../codec/json-value.js';

export type ParamValue = string | number | boolean | null;

/** Flatten nested objects with '.' ({ opt: { lr: 1 } } → 'opt.lr'); arrays become JSON text; every key is a checked identifier. */
export function flattenHyperparameters(params: unknown): [string, ParamValue][] {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw argError('params', params, 'pass an object of hyperparameters such as { lr: 0.01, batchSize: 32 }.');
  }
  const out: [string, ParamValue][] = [];
  const seen = new Set<object>();
  const walk = (obj: object, prefix: string): void => {
    if (seen.has(obj))
      throw argError(`params${prefix ? ` at ${prefix.slice(0, -1)}` : ''}`, obj, 'it refers back to itself (a cycle); pass a plain tree of values.');
    seen.add(obj);
    for (const [k, v] of Object.entries(obj)) {
      const key = prefix + k;
      if (typeof v === 'string') {
        if (!v.isWellFormed()) throw loneSurrogateError(`params.${key}`, v); // here, before any param is logged
        out.push([key, v]);
      } else if (v === null || typeof v === 'number' || typeof v === 'boolean') out.push([key, v]);
      else if (Array.isArray(v)) out.push([key, JSON.stringify(toJsonValue(v, `params.${key}`))]);
      else if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) walk(v, key + '.');
      else throw argError(`params.${key}`, v, 'hyperparameters must be strings, numbers, booleans, null, arrays or nested plain objects.');
    }
    seen.delete(obj);
  };
  walk(params, '');
  // Every key is checked before any is logged: a bad key logs nothing, not half the set.
  for (const [key] of out) checkIdentifier(key);
  return out;
}
