import type { LoggerBase } from './logger.js';
import type { ContextOptions } from '../context/log-context.js';

/**
 * The scoped helper: create the context, run the body, and always destroy,
 * also when the body throws (the body's error wins over a close error).
 */
export async function startLogging<T>(logger: LoggerBase, body: () => Promise<T> | T, options?: ContextOptions): Promise<T> {
  await logger.createLoggerContext(options);
  let result: T;
  try {
    result = await body();
  } catch (e) {
    await logger.destroyLoggerContext().catch(() => undefined);
    throw e;
  }
  await logger.destroyLoggerContext();
  return result;
}
