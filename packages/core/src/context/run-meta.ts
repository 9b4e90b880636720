/**
 * The run's description options of createLoggerContext() — tags, notes, group, jobType — checked
 * once at the call and handed to every backend's sink (SinkEnv.run), which maps them to its own
 * concept (README "Run tags, notes, group").
 */
import { argError } from '../vocab/errors.js';
import type { RunMeta } from '../sink/index.js';

/** W&B's limit per tag; the strictest of the backends. */
export const MAX_TAG_LENGTH = 64;
/** W&B's limit for a group. */
export const MAX_GROUP_LENGTH = 128;
/** W&B's limit for a job type. */
export const MAX_JOB_TYPE_LENGTH = 64;

function text(name: string, value: unknown, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > max || !value.isWellFormed())
    throw argError(`options.${name}`, value, `pass a non-empty string of at most ${max} characters, or leave it out.`);
  return value;
}

/** The run meta of `options`, or undefined when it sets none. */
export function runMetaFrom(options: { tags?: unknown; notes?: unknown; group?: unknown; jobType?: unknown }): RunMeta | undefined {
  const { tags, notes, group, jobType } = options;
  if (tags !== undefined) {
    const fix = `pass an array of distinct non-empty strings of at most ${MAX_TAG_LENGTH} characters, e.g. ['baseline', 'lr-sweep'].`;
    if (!Array.isArray(tags)) throw argError('options.tags', tags, fix);
    const seen = new Set<string>();
    for (const [i, tag] of tags.entries()) {
      if (typeof tag !== 'string' || tag.length === 0 || tag.length > MAX_TAG_LENGTH || !tag.isWellFormed() || seen.has(tag))
        throw argError(`options.tags[${i}]`, tag, fix);
      seen.add(tag);
    }
  }
  const meta = {
    tags: [...((tags as string[] | undefined) ?? [])],
    ...optional('notes', typeof notes === 'string' && notes.length === 0 ? undefined : text('notes', notes, 1 << 20)),
    ...optional('group', text('group', group, MAX_GROUP_LENGTH)),
    ...optional('jobType', text('jobType', jobType, MAX_JOB_TYPE_LENGTH)),
  };
  return meta.tags.length === 0 && Object.keys(meta).length === 1 ? undefined : meta;
}

function optional<K extends string>(key: K, value: string | undefined): { [k in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [k in K]?: string };
}
