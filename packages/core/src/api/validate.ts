import { argError } from './errors.js';

export const MAX_IDENTIFIER_LENGTH = 250;
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
    throw argError(
      'identifier',
      identifier,
      `it has ${identifier.length} characters; use at most ${MAX_IDENTIFIER_LENGTH} (MLflow's key limit).`,
      RangeError,
    );
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(identifier)) {
    throw argError('identifier', identifier, 'remove control characters and backslashes; use / to group names.');
  }
  if (identifier.startsWith('/') || identifier.endsWith('/')) {
    throw argError('identifier', identifier, "it must be a relative name without a leading or trailing '/' (it names files inside the run directory).");
  }
  for (const segment of identifier.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw argError('identifier', identifier, "remove empty, '.' and '..' path segments: identifiers name files inside the run directory and must not escape it.");
    }
  }
  return identifier;
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
