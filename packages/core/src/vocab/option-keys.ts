/**
 * Misspelled options are errors, not silently ignored settings: `{ stepp: 3 }`
 * would otherwise log without a step, `{ savdir }` into the default directory.
 * The message suggests the closest valid key.
 */
import { argError } from './errors.js';

/** Every key of an options type, as an object: the compiler checks the list is complete and has no extra key. */
export type OptionKeys<T> = { readonly [K in keyof Required<T>]: true };

/**
 * Edit distance with adjacent transpositions (optimal string alignment, a restricted
 * Damerau–Levenshtein): 'rnak' → 'rank' is 1, as a typo feels.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[(i - 1) * cols + j]! + 1, d[i * cols + j - 1]! + 1, d[(i - 1) * cols + j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[(i - 2) * cols + j - 2]! + 1);
      d[i * cols + j] = v;
    }
  }
  return d[rows * cols - 1]!;
}

/** The candidate nearest to `key` (case-insensitively), if it is near enough to be a typo of it. */
export function closestKey(key: string, candidates: readonly string[]): string | undefined {
  const k = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(k, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  // Up to 2 edits, or a third of the key for long ones ('flushSecond' → 'flushSecs').
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** The error for `key` in the options of `owner` ('log()', 'LocalFileLogger', …). */
export function unknownOptionError(owner: string, key: string, value: unknown, known: readonly string[]): Error {
  const near = closestKey(key, known);
  const list = known.map((k) => `'${k}'`).join(', ');
  return argError(
    `${owner} option '${key}'`,
    value,
    `${owner} has no such option${near === undefined ? '.' : `; did you mean '${near}'?`} Its options are ${list}.`,
  );
}

/** Throws for the first own or inherited enumerable key of `options` that `known` does not list. */
export function checkOptionKeys(options: object, owner: string, known: Readonly<Record<string, true>>): void {
  for (const key in options) {
    if (!Object.hasOwn(known, key)) throw unknownOptionError(owner, key, (options as Record<string, unknown>)[key], Object.keys(known));
  }
}
