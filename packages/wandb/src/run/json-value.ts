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

/** Any JSON value of a param, dict or dataset: numbers as numberJson, the rest as JSON.stringify. */
export function valueJson(v: unknown): string {
  return typeof v === 'number' ? numberJson(v) : JSON.stringify(v);
}
