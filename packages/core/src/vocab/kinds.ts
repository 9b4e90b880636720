/**
 * The kinds vocabulary (docs/architecture.md §1). The numeric codes travel in ring
 * records, so they are part of the wire format: append, never renumber.
 */
export const KINDS = ['metric', 'param', 'text', 'dict', 'artifact', 'model', 'image', 'figure', 'histogram', 'dataset'] as const;

export type Kind = (typeof KINDS)[number];

/** Wire code of each kind (1-based; 0 is reserved for "no kind"). */
export const KIND_CODE: Readonly<Record<Kind, number>> = Object.freeze(Object.fromEntries(KINDS.map((k, i) => [k, i + 1])) as Record<Kind, number>);

export function kindFromCode(code: number): Kind {
  const kind = KINDS[code - 1];
  if (kind === undefined) throw new RangeError(`ranklog: unknown kind code ${code} in a ring record (corrupt ring?)`);
  return kind;
}

const KIND_SET: ReadonlySet<string> = new Set(KINDS);

export function isKind(value: unknown): value is Kind {
  return typeof value === 'string' && KIND_SET.has(value);
}

/** A kind outside the vocabulary is a TypeError (docs/architecture.md §1). */
export function assertKind(value: unknown): Kind {
  if (isKind(value)) return value;
  throw new TypeError(`ranklog: kind ${JSON.stringify(value)} is not a known kind. ` + `Use one of: ${KINDS.map((k) => `'${k}'`).join(', ')}.`);
}
