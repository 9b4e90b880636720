/**
 * How a collection recognises a backend logger made by ANOTHER copy of @ranklog/core (a backend
 * package that got its own nested copy): `instanceof Logger` is false across copies, so loggers
 * carry a registry-wide symbol (Symbol.for) whose value is the protocol the collection and the
 * logger speak (spec(), bind(), the context they share). Bump LOGGER_PROTOCOL when that changes.
 */

/** The brand's key: the same symbol in every copy of core, every realm. */
export const LOGGER_BRAND: unique symbol = Symbol.for('ranklog.logger') as never;

/** The logger ⇄ collection protocol of this copy of core. */
export const LOGGER_PROTOCOL = 1;

/** The protocol a value's brand says it speaks, or undefined when it is not a backend logger. */
export function loggerProtocol(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const p = (value as { [LOGGER_BRAND]?: unknown })[LOGGER_BRAND];
  return typeof p === 'number' ? p : undefined;
}
