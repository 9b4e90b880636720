/**
 * Live updates of one run: an EventSource on /api/events. Every `update` event (one on connect,
 * then one whenever the server read new rows) calls `onUpdate`; the browser reconnects by itself
 * after a network error (not after an HTTP error), and `onState` says whether the stream is
 * connected, to show it.
 */
import { eventsUrl, type UpdateEvent } from './api.js';

/** 'closed': the server refused the stream (e.g. 404); EventSource does not retry then. */
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'closed';

export class LiveUpdates {
  private readonly source: EventSource;

  constructor(run: string, onUpdate: (e: UpdateEvent) => void, onState: (s: LiveState) => void) {
    this.source = new EventSource(eventsUrl(run));
    onState('connecting');
    this.source.addEventListener('open', () => onState('live'));
    this.source.addEventListener('error', () => onState(this.source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'));
    this.source.addEventListener('update', (e) => {
      onState('live');
      let data: unknown;
      try {
        data = JSON.parse((e as MessageEvent<string>).data);
      } catch {
        return;
      }
      const u = data as Partial<UpdateEvent>;
      if (typeof u.version === 'number') onUpdate({ version: u.version, rows: u.rows ?? 0, skipped: u.skipped ?? 0 });
    });
  }

  close(): void {
    this.source.close();
  }
}
