/**
 * Picks one of an identifier's logged items (images, figures, texts, dicts): a rank selector when
 * several ranks logged it, and a step slider over that rank's items in step order. New items
 * (live) keep the choice, except that a slider at the newest item follows the new newest one.
 */
import type { MediaItem } from './api.js';
import { attr, el, replace } from './dom.js';

function byStep(a: MediaItem, b: MediaItem): number {
  return (a.step ?? -1) - (b.step ?? -1) || (a.batchIdx ?? -1) - (b.batchIdx ?? -1) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
}

function rankKey(item: MediaItem): string {
  return item.rank === null ? '' : String(item.rank);
}

export function describe(item: MediaItem): string {
  const parts = [item.step === null ? 'no step' : `step ${item.step}`];
  if (item.batchIdx !== null) parts.push(`batch ${item.batchIdx}`);
  if (item.rank !== null) parts.push(`rank ${item.rank}`);
  return parts.join(' · ');
}

export class ItemPicker {
  readonly element: HTMLElement;
  private readonly rankSelect: HTMLSelectElement;
  private readonly slider: HTMLInputElement;
  private readonly label: HTMLElement;
  private items: MediaItem[] = [];
  private rank = '';

  constructor(
    items: readonly MediaItem[],
    private readonly onPick: (item: MediaItem) => void,
  ) {
    this.rankSelect = el('select', { class: 'rank-select', 'aria-label': 'rank' });
    this.slider = el('input', { type: 'range', class: 'step-slider', min: 0, max: 0, step: 1, value: 0, 'aria-label': 'step' });
    this.label = el('span', { class: 'step-label' });
    this.element = el('div', { class: 'picker' }, this.rankSelect, this.slider, this.label);
    this.rankSelect.addEventListener('change', () => {
      this.rank = this.rankSelect.value;
      this.fill(Number.POSITIVE_INFINITY);
    });
    this.slider.addEventListener('input', () => this.pick());
    this.update(items);
  }

  update(items: readonly MediaItem[]): void {
    this.items = [...items];
    const ranks = [...new Set(this.items.map(rankKey))].sort((a, b) => Number(a) - Number(b));
    if (!ranks.includes(this.rank)) this.rank = ranks[0] ?? '';
    replace(this.rankSelect, ...ranks.map((r) => el('option', { value: r, selected: r === this.rank }, r === '' ? 'no rank' : `rank ${r}`)));
    this.rankSelect.hidden = ranks.length < 2;
    const atEnd = Number(this.slider.value) >= Number(this.slider.max);
    this.fill(atEnd ? Number.POSITIVE_INFINITY : Number(this.slider.value));
  }

  private current(): MediaItem[] {
    return this.items.filter((i) => rankKey(i) === this.rank).sort(byStep);
  }

  private fill(index: number): void {
    const list = this.current();
    attr(this.slider, 'max', Math.max(0, list.length - 1));
    this.slider.value = String(Math.min(index, Math.max(0, list.length - 1)));
    this.slider.hidden = list.length < 2;
    this.pick();
  }

  private pick(): void {
    const list = this.current();
    const i = Number(this.slider.value);
    const item = list[i];
    if (!item) return;
    replace(this.label, `${describe(item)}${list.length > 1 ? ` (${i + 1} of ${list.length})` : ''}`);
    this.onPick(item);
  }
}
