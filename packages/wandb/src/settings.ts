/**
 * The logger's options and wandb's environment variables, resolved as wandb resolves them: an
 * option given to the logger (wandb.init's argument) wins over the variable, the variable over
 * the default. Every value is checked here, where the logger is made, and a bad one is an error
 * naming the option or variable, the value and the fix. The API key is returned apart: the logger
 * keeps it in a #private field and never shows it.
 */
import { argError } from '@ranklog/core';

export type Mode = 'online' | 'offline' | 'disabled';

export interface SettingsInput {
  projectName?: string;
  offlineMode?: boolean;
  entity?: string;
  runName?: string;
  runId?: string;
  group?: string;
  jobType?: string;
  tags?: string[];
  notes?: string;
  savedir?: string;
}

export interface Settings {
  mode: Mode;
  /** Where `wandb/` goes: savedir, else WANDB_DIR, else 'mllogs' (as ranklog's other backends). */
  dir: string;
  project: string;
  entity: string;
  displayName: string | undefined;
  runId: string | undefined;
  group: string | undefined;
  jobType: string;
  notes: string;
  tags: string[];
  /** W&B's server, for the online mode (no credentials in it). */
  baseUrl: string;
}

export const DEFAULT_BASE_URL = 'https://api.wandb.ai';

/** Online: how long the close waits for the server before it leaves the rest of a run to `wandb sync` (ms). */
export const FINISH_TIMEOUT_MS = 60_000;

/** Characters W&B refuses in project and entity names. */
const NAME_FORBIDDEN = /[/\\#?%:]/;
/** Run ids also name the run's directory and files. */
const RUN_ID = /^[A-Za-z0-9_.-]{1,64}$/;

interface Source {
  /** For messages: "WandBLogger option projectName" or "WANDB_PROJECT (from the environment)". */
  name: string;
  value: unknown;
}

/** The option if given, else the environment variable if set and non-empty. */
function pick(option: string, given: unknown, variable: string, env: NodeJS.ProcessEnv): Source | undefined {
  if (given !== undefined) return { name: `WandBLogger option ${option}`, value: given };
  const v = env[variable];
  return v === undefined || v === '' ? undefined : { name: `${variable} (from the environment)`, value: v };
}

function text(s: Source | undefined, max: number, fix: string): string | undefined {
  if (s === undefined) return undefined;
  if (typeof s.value !== 'string' || s.value.length === 0 || s.value.length > max) throw argError(s.name, s.value, fix);
  return s.value;
}

function name(s: Source | undefined, what: string): string | undefined {
  const v = text(s, 128, `pass a W&B ${what} name of 1 to 128 characters.`);
  if (v !== undefined && NAME_FORBIDDEN.test(v)) throw argError(s!.name, v, `W&B ${what} names cannot hold / \\ # ? % or :; rename it.`);
  return v;
}

function mode(options: SettingsInput, env: NodeJS.ProcessEnv): Mode {
  if (options.offlineMode !== undefined) {
    if (typeof options.offlineMode !== 'boolean')
      throw argError('WandBLogger option offlineMode', options.offlineMode, 'pass true (write an offline run for `wandb sync`) or false.');
    return options.offlineMode ? 'offline' : 'online';
  }
  const m = env.WANDB_MODE;
  if (m === undefined || m === '' || m === 'online' || m === 'run') return 'online';
  if (m === 'offline' || m === 'dryrun') return 'offline';
  if (m === 'disabled') return 'disabled';
  throw argError(
    'WANDB_MODE (from the environment)',
    m,
    "set it to 'offline', 'online' or 'disabled' (ranklog has no shared mode), or pass offlineMode to the WandBLogger.",
  );
}

function baseUrl(env: NodeJS.ProcessEnv): string {
  const raw = env.WANDB_BASE_URL;
  if (raw === undefined || raw === '') return DEFAULT_BASE_URL;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    // not rethrown: the parser's message repeats the input
  }
  const shown = url && (url.username || url.password) ? `${url.protocol}//***@${url.host}${url.pathname}` : raw.replace(/\/\/[^/]*@/, '//***@');
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw argError('WANDB_BASE_URL (from the environment)', shown, 'set it to the http(s) address of your W&B server, e.g. https://api.wandb.ai.');
  }
  if (url.username || url.password)
    throw argError(
      'WANDB_BASE_URL (from the environment)',
      shown,
      'take the user name and password out of the address: the API key (WANDB_API_KEY) is the credential.',
    );
  return url.href.replace(/\/$/, '');
}

export function resolveSettings(options: SettingsInput, env: NodeJS.ProcessEnv): { settings: Settings; apiKey: string | undefined } {
  const m = mode(options, env);
  const dir = text(pick('savedir', options.savedir, 'WANDB_DIR', env), 4096, "pass a directory path such as 'mllogs'.") ?? 'mllogs';
  const runIdSource = pick('runId', options.runId, 'WANDB_RUN_ID', env);
  const runId = text(runIdSource, 64, 'pass 1 to 64 letters, digits, "_", "-" or ".", or leave it out for a random id.');
  if (runId !== undefined && !RUN_ID.test(runId))
    throw argError(runIdSource!.name, runId, 'use 1 to 64 letters, digits, "_", "-" or "." (it names the run and its directory).');
  const tagsSource = pick('tags', options.tags, 'WANDB_TAGS', env);
  let tags: string[] = [];
  if (tagsSource !== undefined) {
    const list =
      typeof tagsSource.value === 'string'
        ? tagsSource.value
            .split(',')
            .map((t) => t.trim())
            .filter((t) => t !== '')
        : tagsSource.value;
    if (!Array.isArray(list) || list.some((t) => typeof t !== 'string' || t.length === 0 || t.length > 64)) {
      throw argError(tagsSource.name, tagsSource.value, 'pass tags of 1 to 64 characters each: an array of strings (WANDB_TAGS: separated by commas).');
    }
    tags = [...new Set(list as string[])];
  }
  const settings: Settings = {
    mode: m,
    dir,
    project: name(pick('projectName', options.projectName, 'WANDB_PROJECT', env), 'project') ?? '',
    entity: name(pick('entity', options.entity, 'WANDB_ENTITY', env), 'entity') ?? '',
    displayName: text(
      pick('runName', options.runName, 'WANDB_NAME', env),
      128,
      "pass a run name of 1 to 128 characters, or leave it out for ranklog's run name.",
    ),
    runId,
    group: text(pick('group', options.group, 'WANDB_RUN_GROUP', env), 128, 'pass a group name of 1 to 128 characters.'),
    jobType: text(pick('jobType', options.jobType, 'WANDB_JOB_TYPE', env), 64, "pass a job type of 1 to 64 characters, e.g. 'train'.") ?? '',
    notes: text(pick('notes', options.notes, 'WANDB_NOTES', env), 100_000, 'pass notes as a non-empty string.') ?? '',
    tags,
    baseUrl: baseUrl(env),
  };
  const key = env.WANDB_API_KEY;
  return { settings, apiKey: key === undefined || key === '' ? undefined : key };
}
