/**
 * The run view's chart controls: x axis (step / time / batch), smoothing (EMA weight 0…0.99,
 * applied in the page to the points received, raw curves faded underneath), log-scale y, and a
 * filter on identifiers.
 *
 * Test hooks: `#x-axis` (select), `#smoothing` (range), `#log-y` (checkbox), `#filter` (text).
 */
import type { ChartSettings } from './chart-data.js';
import { el } from './dom.js';

export class ControlBar {
  readonly element: HTMLElement;
  readonly settings: ChartSettings = { x: 'step', smoothing: 0, logY: false };
  private readonly changeListeners: ((what: 'x' | 'look') => void)[] = [];
  private readonly filterListeners: ((text: string) => void)[] = [];

  constructor() {
    const x = el(
      'select',
      { id: 'x-axis' },
      el('option', { value: 'step', selected: true }, 'step'),
      el('option', { value: 'time' }, 'time'),
      el('option', { value: 'batch' }, 'batch'),
    );
    const smoothing = el('input', { id: 'smoothing', type: 'range', min: 0, max: 0.99, step: 0.01, value: 0 });
    const smoothingValue = el('output', { for: 'smoothing' }, '0');
    const logY = el('input', { id: 'log-y', type: 'checkbox' });
    const filter = el('input', { id: 'filter', type: 'search', placeholder: 'filter identifiers', 'aria-label': 'filter identifiers' });

    x.addEventListener('change', () => {
      this.settings.x = x.value === 'time' || x.value === 'batch' ? x.value : 'step';
      this.emit('x');
    });
    smoothing.addEventListener('input', () => {
      this.settings.smoothing = Math.min(0.99, Math.max(0, Number(smoothing.value) || 0));
      smoothingValue.value = this.settings.smoothing.toFixed(2);
      this.emit('look');
    });
    logY.addEventListener('change', () => {
      this.settings.logY = logY.checked;
      this.emit('look');
    });
    filter.addEventListener('input', () => {
      for (const f of this.filterListeners) f(filter.value);
    });

    this.element = el(
      'div',
      { class: 'controls' },
      el('label', {}, 'x axis ', x),
      el('label', { title: 'exponential moving average weight; raw curves stay faded underneath' }, 'smoothing ', smoothing, ' ', smoothingValue),
      el('label', {}, logY, ' log scale y'),
      el('label', {}, filter),
      el('span', { class: 'hint' }, 'drag to zoom, double-click to reset'),
    );
  }

  onChange(f: (what: 'x' | 'look') => void): void {
    this.changeListeners.push(f);
  }

  onFilter(f: (text: string) => void): void {
    this.filterListeners.push(f);
  }

  private emit(what: 'x' | 'look'): void {
    for (const f of this.changeListeners) f(what);
  }
}
