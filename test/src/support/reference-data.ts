/**
 * The reference data beside the repository: <repo>/../shared/reference/ (tensorboard/…, wandb/…),
 * or RANKLOG_REFERENCE_DIR. Tests that read it are declared with referenceTest(), which decides
 * at module load what to do when the folder is missing:
 *
 *   - CI (process.env.CI set): every such test is registered and fails, saying where the folder
 *     was looked for. CI always has shared/, so a missing folder is a broken checkout, never a
 *     reason to pass.
 *   - elsewhere: the tests are skipped (ava lists them as skipped) and one line says which and why.
 */
import test, { type ExecutionContext } from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/dist/support/ → <repo>/../shared/reference/ */
const DEFAULT_REFERENCE_ROOT = fileURLToPath(new URL('../../../../shared/reference/', import.meta.url));

export const REFERENCE_ROOT = process.env.RANKLOG_REFERENCE_DIR || DEFAULT_REFERENCE_ROOT;

/** CI is set (GitHub Actions, GitLab, .ci/run, …) and not explicitly off. */
export function inCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

type Body = (t: ExecutionContext) => void | Promise<void>;

export interface ReferenceData {
  /** Absolute path of the reference folder (it may not exist: see `present`). */
  readonly dir: string;
  readonly present: boolean;
  /** test(title, body) when the folder is there; otherwise a failure in CI, a skip elsewhere. */
  readonly test: (title: string, body: Body) => void;
}

/**
 * The reference folder `relative` (e.g. 'tensorboard/tensorboardx-2.6.5') for the test file `file`
 * (its name in messages). Call at module load, before declaring the tests.
 */
export function referenceData(file: string, relative: string): ReferenceData {
  const dir = join(REFERENCE_ROOT, relative);
  const present = existsSync(dir);
  if (present) return { dir, present, test: (title, body) => test(title, body) };

  const where = process.env.RANKLOG_REFERENCE_DIR
    ? `${dir} does not exist (RANKLOG_REFERENCE_DIR=${process.env.RANKLOG_REFERENCE_DIR})`
    : `${dir} does not exist (shared/ must be checked out beside the repository, or RANKLOG_REFERENCE_DIR point to its reference/ folder)`;
  if (inCi()) {
    return {
      dir,
      present,
      test: (title, _body) =>
        test(title, (t) => {
          t.fail(`reference data missing in CI: ${where}`);
        }),
    };
  }
  const skipped: string[] = [];
  return {
    dir,
    present,
    test: (title, body) => {
      // One line per test file, once every test of the module is declared (module evaluation is synchronous).
      if (skipped.length === 0)
        queueMicrotask(() =>
          console.log(
            `${file}: skipping ${skipped.length} test${skipped.length === 1 ? '' : 's'} that read the reference data: ${where}. In CI this is a failure.`,
          ),
        );
      skipped.push(title);
      test.skip(title, body);
    },
  };
}
