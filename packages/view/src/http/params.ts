/** Query parameters of the API, checked: a bad one is a 400 that names it, its value and the fix. */
import type { XKind } from '../metrics/columns.js';
import { badParam } from './respond.js';

export function required(q: URLSearchParams, name: string): string {
  const v = q.get(name);
  if (v === null || v === '') throw badParam(name, v, `${name} is required (see GET /api/run for the values)`);
  return v;
}

export function xKind(q: URLSearchParams): XKind {
  const v = q.get('x') ?? 'step';
  if (v === 'step' || v === 'time' || v === 'batch') return v;
  throw badParam('x', v, 'use x=step, x=time or x=batch');
}

export function intInRange(q: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const v = q.get(name);
  if (v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw badParam(name, v, `use a whole number from ${min} to ${max}`);
  return n;
}

/** A bound of the x window (from/to): a number, or ±Infinity when absent. */
export function bound(q: URLSearchParams, name: 'from' | 'to'): number {
  const v = q.get(name);
  if (v === null || v === '') return name === 'from' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  const n = Number(v);
  if (!Number.isFinite(n))
    throw badParam(name, v, `use a finite number in the x axis' unit (a step, a batch index, or ms since the epoch), or leave ${name} out`);
  return n;
}
