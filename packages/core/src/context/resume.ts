/**
 * createLoggerContext({ resume }): continue the run of the same name after a crash or a stop. The
 * option is checked here and given to every sink (SinkEnv.resume); each backend continues in its
 * own way (README "Resume"): local files append, TensorBoard starts a new event file, MLflow logs
 * into the same run ids.
 */
import { argError } from '../vocab/errors.js';
import type { ResumeInfo } from '../sink/index.js';

export function resumeFrom(resume: unknown): ResumeInfo | undefined {
  if (resume === undefined || resume === false) return undefined;
  if (resume === true) return {};
  const fix = 'pass true, or { fromStep } with the non-negative integer step training resumes from (its checkpoint step), or false.';
  if (typeof resume !== 'object' || resume === null) throw argError('options.resume', resume, fix);
  const { fromStep, ...rest } = resume as { fromStep?: unknown };
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) throw argError(`options.resume.${extra}`, (rest as Record<string, unknown>)[extra], fix);
  if (typeof fromStep !== 'number' || !Number.isSafeInteger(fromStep) || fromStep < 0) throw argError('options.resume.fromStep', fromStep, fix);
  return { fromStep };
}
