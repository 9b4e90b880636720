/** Errors that name the argument, the value and the fix. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? value.slice(0, 77) + '...' : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`;
  if (value === null || typeof value !== 'object') return String(value);
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as Uint8Array).length}`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

/** An error that names the argument, its value and the fix (a TypeError unless `Ctor` says otherwise). */
export function argError(argument: string, value: unknown, fix: string, Ctor: ErrorConstructor = TypeError): Error {
  return new Ctor(`ranklog: ${argument} is ${describe(value)}; ${fix}`);
}
