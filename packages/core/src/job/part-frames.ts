/**
 * Aggregate partials on the rendezvous (docs/jobs.md "Aggregates"): a member sends
 *   ids  {from, names}          identifiers it has not named on this connection yet, numbered from `from`
 *   part {b, items}             b: the backend's index; items: [id, rank, step, timeMs, count, sum, m2, min, max]
 * so a step of one identifier costs 9 numbers, not its name. Rank 0 of an older version ignores
 * both (unknown types): the job then has no aggregates, nothing else changes.
 */
import type { PartTuple } from '../writer/aggregation.js';

export interface Ids {
  t: 'ids';
  from: number;
  names: string[];
}

export interface Part {
  t: 'part';
  b: number;
  items: [number, number, number, number, number, number, number, number, number][];
}

/** A member's side: turns tuples into ids + part messages, naming each identifier once per connection. */
export class PartEncoder {
  private readonly index = new Map<string, number>();

  messages(backend: number, tuples: readonly PartTuple[]): (Ids | Part)[] {
    const fresh: string[] = [];
    const from = this.index.size;
    const items: Part['items'] = tuples.map((t) => {
      let id = this.index.get(t[1]);
      if (id === undefined) {
        id = this.index.size;
        this.index.set(t[1], id);
        fresh.push(t[1]);
      }
      return [id, t[0], t[2], t[3], t[4], t[5], t[6], t[7], t[8]];
    });
    const out: (Ids | Part)[] = [];
    if (fresh.length > 0) out.push({ t: 'ids', from, names: fresh });
    out.push({ t: 'part', b: backend, items });
    return out;
  }
}

/** Rank 0's side, one per connection: ids and part messages back into tuples; malformed ones are skipped and counted. */
export class PartDecoder {
  private readonly names: string[] = [];
  malformed = 0;

  ids(m: Ids): void {
    if (!Number.isInteger(m.from) || m.from < 0 || !Array.isArray(m.names) || m.from > this.names.length) {
      this.malformed++;
      return;
    }
    for (let i = 0; i < m.names.length; i++) if (typeof m.names[i] === 'string') this.names[m.from + i] = m.names[i]!;
  }

  tuples(m: Part): PartTuple[] {
    const out: PartTuple[] = [];
    if (!Array.isArray(m.items)) return out;
    for (const it of m.items) {
      const name = Array.isArray(it) && it.length === 9 ? this.names[it[0]] : undefined;
      if (name === undefined || !it.every((x) => typeof x === 'number')) {
        this.malformed++;
        continue;
      }
      out.push([it[1], name, it[2], it[3], it[4], it[5], it[6], it[7], it[8]]);
    }
    return out;
  }
}
