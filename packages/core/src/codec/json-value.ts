/**
 * The JSON value of a logged object (dict, Vega-Lite spec, dataset schema, array
 * hyperparameter), checked on the training thread: whatever JSON.stringify would
 * drop, alter or choke on is a ranklog error naming its path, never a silent
 * loss or a bare SyntaxError/TypeError later.
 */
import { argError, describe } from '../vocab/errors.js';
import { loneSurrogateError } from '../vocab/validate.js';

const TO_JSON_FIX = 'make toJSON() return a string, a finite number, a boolean, null, a plain object or an array (or convert the value before logging it).';

/** Own enumerable string keys, as JSON.stringify sees them (symbol keys are skipped by both). */
function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty, not `=`: a key named "__proto__" must stay a key, not become the prototype.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * `value` as JSON.stringify would write it, or a ranklog error with the path of the first
 * offending value. toJSON() (Date and friends) is called once, here, and what it returns is
 * checked like any other value. The result shares every part that needed no toJSON() with
 * `value`: an object without toJSON() anywhere comes back as itself, nothing copied.
 */
export function toJsonValue(value: unknown, argument: string): unknown {
  const seen = new Set<object>();
  // Paths are built only when something is wrong: a valid dict costs one walk, no strings.
  const at = (path: () => string) => `${argument} at ${path()}`;
  const visit = (v: unknown, key: string | number, path: () => string, callToJson: boolean): unknown => {
    switch (typeof v) {
      case 'string':
        if (!v.isWellFormed()) throw loneSurrogateError(at(path), v);
        return v;
      case 'boolean':
        return v;
      case 'number':
        if (!Number.isFinite(v)) {
          throw argError(at(path), v, 'JSON cannot hold NaN or ±Infinity; convert it to a string or null (or log it as a metric, which keeps it).');
        }
        return v;
      case 'undefined':
        throw argError(at(path), v, 'JSON would silently drop it; use null instead.');
      case 'object': {
        if (v === null) return v;
        if (seen.has(v)) throw argError(at(path), v, 'it refers back to itself (a cycle); log a copy without the cycle.');
        if (callToJson && typeof (v as { toJSON?: unknown }).toJSON === 'function') return fromToJson(v, key, path);
        const proto = Object.getPrototypeOf(v);
        if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) {
          throw argError(
            at(path),
            v,
            'only plain objects, arrays, strings, finite numbers, booleans and null are JSON-serialisable; convert it first (e.g. Object.fromEntries(map)).',
          );
        }
        seen.add(v);
        let copy: unknown;
        if (Array.isArray(v)) {
          let out: unknown[] | undefined;
          for (let i = 0; i < v.length; i++) {
            const x = v[i];
            const y = visit(x, i, () => `${path()}[${i}]`, true);
            if (y !== x) out ??= v.slice();
            if (out !== undefined) out[i] = y;
          }
          copy = out;
        } else {
          const o = v as Record<string, unknown>;
          let out: Record<string, unknown> | undefined;
          for (const k in o) {
            if (!Object.hasOwn(o, k)) continue;
            if (!k.isWellFormed()) throw loneSurrogateError(`${argument} key at ${path()}`, k);
            const x = o[k];
            const y = visit(x, k, () => `${path()}.${k}`, true);
            if (y !== x) setKey((out ??= { ...o }), k, y);
          }
          copy = out;
        }
        seen.delete(v);
        return copy ?? v;
      }
      default:
        throw argError(at(path), v, `a ${typeof v} is not JSON-serialisable; convert it to a string or number first.`);
    }
  };
  /** JSON.stringify calls toJSON(key) once and writes what it returns, without calling that result's own toJSON. */
  const fromToJson = (v: object, key: string | number, path: () => string): unknown => {
    let r: unknown;
    try {
      r = (v as { toJSON(key: string): unknown }).toJSON(String(key));
    } catch (e) {
      throw argError(at(path), v, `its toJSON() threw (${e instanceof Error ? e.message : describe(e)}); fix toJSON() or convert the value before logging it.`);
    }
    if (r === undefined) throw argError(at(path), v, `its toJSON() returned undefined, which JSON would silently drop; ${TO_JSON_FIX}`);
    const t = typeof r;
    if (t === 'bigint' || t === 'symbol' || t === 'function' || (t === 'number' && !Number.isFinite(r as number))) {
      throw argError(at(path), v, `its toJSON() returned ${describe(r)}, which JSON cannot hold; ${TO_JSON_FIX}`);
    }
    return visit(r, key, () => `${path()} (its toJSON())`, false);
  };
  return visit(value, '', () => (argument === 'item' ? 'item' : '$'), true);
}
