/**
 * Images and figures: per identifier, the picture at a chosen step (and rank), from /api/file.
 * A figure is written as PNG beside its SVG / Vega-Lite source under one stem: the PNG is shown,
 * else the SVG (served with its own CSP), else a link to the source.
 *
 * Test hooks: `.media[data-identifier]` with `img.media-image` (its `data-path` is the file shown).
 */
import { fileUrl, type MediaItem } from './api.js';
import { attr, el, replace } from './dom.js';
import { humanSize } from './format.js';
import { describe, ItemPicker } from './item-picker.js';

const SHOWN = /\.(png|jpe?g|svg)$/i;

/** One entry per picture: a figure's PNG stands for its stem; sources of figures that were not rendered are kept (shown as links). */
function pictures(items: readonly MediaItem[]): MediaItem[] {
  const byStem = new Map<string, MediaItem>();
  const rank = (p: string) => (/\.png$/i.test(p) ? 0 : /\.jpe?g$/i.test(p) ? 1 : /\.svg$/i.test(p) ? 2 : 3);
  for (const item of items) {
    const stem = item.path.replace(/\.(png|jpe?g|svg|vl\.json)$/i, '');
    const seen = byStem.get(stem);
    if (!seen || rank(item.path) < rank(seen.path)) byStem.set(stem, item);
  }
  return [...byStem.values()];
}

export class MediaPanel {
  readonly element: HTMLElement;
  private readonly view: HTMLElement;
  private readonly picker: ItemPicker;
  private shown = '';

  constructor(
    private readonly run: string,
    readonly identifier: string,
    kind: string,
    items: readonly MediaItem[],
  ) {
    this.view = el('div', { class: 'media-view' });
    this.picker = new ItemPicker(pictures(items), (item) => this.show(item));
    this.element = el(
      'figure',
      { class: 'media', 'data-identifier': identifier, 'data-kind': kind },
      el('figcaption', {}, el('span', { class: 'identifier' }, identifier), el('span', { class: 'meta' }, ` ${kind}`)),
      this.picker.element,
      this.view,
    );
  }

  update(items: readonly MediaItem[]): void {
    this.picker.update(pictures(items));
  }

  private show(item: MediaItem): void {
    if (item.path === this.shown) return;
    this.shown = item.path;
    const url = fileUrl(this.run, item.path);
    if (!SHOWN.test(item.path)) {
      replace(this.view, el('a', { href: url, download: '' }, `${item.path} (${humanSize(item.size)}; not rendered)`));
      return;
    }
    const img = el('img', { class: 'media-image', alt: `${this.identifier}, ${describe(item)}`, 'data-path': item.path, decoding: 'async' });
    img.addEventListener('error', () => {
      if (this.shown === item.path) replace(this.view, el('div', { class: 'error', role: 'alert' }, `Cannot load ${item.path}`));
    });
    // src last, once the handlers are in place.
    attr(img, 'src', url);
    replace(this.view, img);
  }
}
