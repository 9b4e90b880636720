/**
 * value_json as wandb writes it: JSON, extended with the bare numbers NaN, Infinity and
 * -Infinity (Python's json module writes them, and wandb's Go side reads them back), so a
 * diverged loss is kept as the NaN it was rather than turned into null.
 */

/** A number as wandb's extended JSON (JavaScript's own formatting already spells NaN and ±Infinity that way). */
export function numberJson(v: number): string {
  return String(v);
}

/** A number wandb keeps as a float (`_timestamp`, `_runtime`): integral values get '.0', as Python writes them. */
export function floatJson(v: number): string {
  const s = String(v);
  return Number.isInteger(v) && !s.includes('e') ? s + '.0' : s;
}

/**
 * Milliseconds as seconds, for `_timestamp` and `_runtime`: the exact decimal (which parses to
 * the same double as ms / 1000), by concatenation, as formatting doubles costs about 1 µs each.
 */
export function secondsJson(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) return floatJson(ms / 1000);
  const frac = ms % 1000;
  return `${(ms - frac) / 1000}${FRACTIONS[frac]}`;
}

/** '.0', '.001', …, '.999' without trailing zeros ('.5', not '.500'), as a double of ms / 1000 prints. */
const FRACTIONS = Array.from({ length: 1000 }, (_, f) => (f === 0 ? '.0' : `.${String(f).padStart(3, '0').replace(/0+$/, '')}`));

/** Any JSON value of a param, dict or dataset: numbers as numberJson, the rest as JSON.stringify. */
export function valueJson(v: unknown): string {
  return typeof v === 'number' ? numberJson(v) : JSON.stringify(v);
}
