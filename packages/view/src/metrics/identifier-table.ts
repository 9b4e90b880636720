/**
 * Identifiers seen in a CSV, found by their bytes: a row's identifier costs a hash and a byte
 * comparison, not a string, once it has been seen. The table is small (one entry per identifier).
 */
export interface IdentifierEntry<T> {
  readonly identifier: string;
  readonly bytes: Uint8Array;
  readonly value: T;
}

export class IdentifierTable<T> {
  private readonly buckets = new Map<number, IdentifierEntry<T>[]>();
  private readonly byName = new Map<string, IdentifierEntry<T>>();

  constructor(private readonly make: (identifier: string) => T) {}

  /** The entry of the identifier whose UTF-8 bytes are buf[start..end). */
  get(buf: Uint8Array, start: number, end: number): IdentifierEntry<T> {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    const bucket = this.buckets.get(h);
    if (bucket) {
      for (const e of bucket) if (sameBytes(e.bytes, buf, start, end)) return e;
    }
    const bytes = new Uint8Array(buf.subarray(start, end)); // a copy: buf is reused
    return this.add(h, Buffer.from(bytes).toString('utf8'), bytes);
  }

  /** The entry of an identifier given as text (a quoted CSV field). */
  getByName(identifier: string): IdentifierEntry<T> {
    const e = this.byName.get(identifier);
    if (e) return e;
    const bytes = new Uint8Array(Buffer.from(identifier, 'utf8'));
    let h = 0x811c9dc5;
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
    return this.add(h, identifier, bytes);
  }

  find(identifier: string): T | undefined {
    return this.byName.get(identifier)?.value;
  }

  entries(): IterableIterator<IdentifierEntry<T>> {
    return this.byName.values();
  }

  private add(h: number, identifier: string, bytes: Uint8Array): IdentifierEntry<T> {
    const existing = this.byName.get(identifier);
    if (existing) return existing; // the same text spelled with other bytes (e.g. quoted): one entry
    const entry = { identifier, bytes, value: this.make(identifier) };
    const bucket = this.buckets.get(h);
    if (bucket) bucket.push(entry);
    else this.buckets.set(h, [entry]);
    this.byName.set(identifier, entry);
    return entry;
  }
}

function sameBytes(a: Uint8Array, buf: Uint8Array, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== buf[start + i]) return false;
  return true;
}
