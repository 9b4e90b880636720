import { argError } from './errors.js';

export const MAX_IDENTIFIER_LENGTH = 250;
/**
 * Longest '/'-separated identifier segment, in UTF-8 bytes. Segments name directories and files
 * (local run directory, MLflow's file store and its artifact names `<segment>_step<s>_rank<r>.vl.json`),
 * and Linux allows 255 bytes per name: 200 leaves room for those suffixes.
 */
export const MAX_SEGMENT_BYTES = 200;
/** batchIdx travels as an int32 in the ring. */
export const MAX_BATCH_IDX = 0x7fffffff;

/**
 * Identifiers name metrics and, for several kinds, files inside the run
 * directory, so they must not escape it. `/` groups (as in 'train/loss').
 */
export function checkIdentifier(identifier: unknown): string {
  if (typeof identifier !== 'string') {
    throw argError('identifier', identifier, "pass a non-empty string such as 'train_loss'.");
  }
  if (identifier.length === 0) throw argError('identifier', identifier, "pass a non-empty string such as 'train_loss'.");
  if (identifier.length > MAX_IDENTIFIER_LENGTH) {
    throw argError('identifier', identifier, `it has ${identifier.length} characters; use at most ${MAX_IDENTIFIER_LENGTH} (MLflow's key limit).`, RangeError);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(identifier)) {
    throw argError('identifier', identifier, 'remove control characters and backslashes; use / to group names.');
  }
  if (identifier.startsWith('/') || identifier.endsWith('/')) {
    throw argError('identifier', identifier, "it must be a relative name without a leading or trailing '/' (it names files inside the run directory).");
  }
  if (!identifier.isWellFormed()) throw loneSurrogateError('identifier', identifier);
  for (const segment of identifier.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw argError(
        'identifier',
        identifier,
        "remove empty, '.' and '..' path segments: identifiers name files inside the run directory and must not escape it.",
      );
    }
    // A UTF-16 unit is at most 3 UTF-8 bytes: only segments longer than a third of the limit need counting.
    if (segment.length * 3 > MAX_SEGMENT_BYTES) {
      const bytes = Buffer.byteLength(segment, 'utf8');
      if (bytes > MAX_SEGMENT_BYTES) {
        throw argError(
          'identifier',
          identifier,
          `its segment ${JSON.stringify(segment.length > 40 ? segment.slice(0, 37) + '...' : segment)} is ${bytes} bytes in UTF-8; use at most ${MAX_SEGMENT_BYTES} bytes per '/'-separated segment (segments name directories and files, which Linux limits to 255 bytes, and ranklog adds suffixes), e.g. split it with '/'.`,
          RangeError,
        );
      }
    }
  }
  return identifier;
}

/**
 * A lone surrogate (half of a UTF-16 pair) has no UTF-8 form: msgpack, files and HTTP would
 * silently write U+FFFD instead. Callers test `s.isWellFormed()` first; this words the error.
 */
export function loneSurrogateError(argument: string, value: string): Error {
  let at = 0;
  for (; at < value.length; at++) {
    const c = value.charCodeAt(at);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(at + 1);
      if (next >= 0xdc00 && next <= 0xdfff) at++;
      else break;
    } else if (c >= 0xdc00 && c <= 0xdfff) break;
  }
  const unit = value.charCodeAt(at).toString(16).toUpperCase();
  return argError(
    argument,
    value,
    `it contains a lone surrogate (U+${unit} at index ${at}), which UTF-8 cannot encode: it would be written as U+FFFD. Fix the string, or pass s.toWellFormed() to replace it knowingly.`,
  );
}

export function checkStep(step: unknown): void {
  if (step === undefined) return;
  if (typeof step !== 'number' || !Number.isSafeInteger(step)) {
    throw argError('step', step, 'pass an integer (a safe integer, finite), or leave it out.');
  }
}

export function checkBatchIdx(batchIdx: unknown): void {
  if (batchIdx === undefined) return;
  if (typeof batchIdx !== 'number' || !Number.isInteger(batchIdx) || batchIdx < 0 || batchIdx > MAX_BATCH_IDX) {
    throw argError('batchIdx', batchIdx, `pass an integer from 0 to ${MAX_BATCH_IDX}, or leave it out for epoch-level calls.`);
  }
}
