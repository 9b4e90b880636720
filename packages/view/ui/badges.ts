/** Small labelled spans shared by the views. */
import { el } from './dom.js';

/** A run's status; the class is picked from a fixed set, the text is the status as the API gave it. */
export function statusBadge(status: string): HTMLElement {
  const known = ['running', 'finished', 'failed', 'killed'].includes(status) ? status : 'unknown';
  return el('span', { class: `status status-${known}`, 'data-status': status }, status);
}

export function tagBadge(tag: string): HTMLElement {
  return el('span', { class: 'tag' }, tag);
}
