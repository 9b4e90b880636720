/**
 * Hash routing: `#/` is the runs list, `#/run/<encodeURIComponent(id)>` one run. Run ids hold a
 * slash (`<savedir index>/<name>`), hence the encoding.
 */

export type Route = { view: 'runs' } | { view: 'run'; id: string } | { view: 'unknown'; hash: string };

export function runHref(id: string): string {
  return `#/run/${encodeURIComponent(id)}`;
}

export function parseRoute(hash: string): Route {
  const h = hash.replace(/^#/, '');
  if (h === '' || h === '/') return { view: 'runs' };
  const m = /^\/run\/([^/]+)$/.exec(h);
  if (m) {
    try {
      return { view: 'run', id: decodeURIComponent(m[1]!) };
    } catch {
      // a malformed %-escape: not a route
    }
  }
  return { view: 'unknown', hash: h };
}
