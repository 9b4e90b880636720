/**
 * Text and dict items: per identifier, the file at a chosen step (and rank), fetched from
 * /api/file and shown in a <pre> through textContent, never parsed as HTML. Dicts are
 * pretty-printed JSON (the raw text when it does not parse).
 *
 * Test hooks: `.text-item[data-identifier]` with `pre.text-content` (`data-path`: the file shown).
 */
import { fetchText, type MediaItem } from './api.js';
import { attr, el, messageOf, replace } from './dom.js';
import { ItemPicker } from './item-picker.js';

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export class TextPanel {
  readonly element: HTMLElement;
  private readonly pre: HTMLPreElement;
  private readonly status: HTMLElement;
  private readonly picker: ItemPicker;
  private shown = '';
  private abort: AbortController | undefined;

  constructor(
    private readonly run: string,
    readonly identifier: string,
    kind: string,
    items: readonly MediaItem[],
  ) {
    this.pre = el('pre', { class: 'text-content', 'data-identifier': identifier });
    this.status = el('div', { class: 'chart-message' });
    this.picker = new ItemPicker(items, (item) => void this.show(item));
    this.element = el(
      'figure',
      { class: 'text-item', 'data-identifier': identifier, 'data-kind': kind },
      el('figcaption', {}, el('span', { class: 'identifier' }, identifier), el('span', { class: 'meta' }, ` ${kind}`)),
      this.picker.element,
      this.status,
      this.pre,
    );
  }

  update(items: readonly MediaItem[]): void {
    this.picker.update(items);
  }

  private async show(item: MediaItem): Promise<void> {
    if (item.path === this.shown) return;
    this.shown = item.path;
    this.abort?.abort();
    const abort = (this.abort = new AbortController());
    try {
      const text = await fetchText(this.run, item.path, abort.signal);
      if (abort.signal.aborted) return;
      this.pre.textContent = item.kind === 'dict' ? pretty(text) : text;
      attr(this.pre, 'data-path', item.path);
      replace(this.status);
    } catch (e) {
      if (abort.signal.aborted) return;
      this.shown = '';
      replace(this.status, el('span', { class: 'error', role: 'alert' }, `Cannot load ${item.path}: ${messageOf(e)}`));
    }
  }

  dispose(): void {
    this.abort?.abort();
  }
}
