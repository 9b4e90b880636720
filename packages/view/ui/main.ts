/**
 * The page's entry module: routes the hash to a view (runs list or one run), disposing the view
 * left behind (its fetches, event stream and charts), and shows any uncaught error on the page.
 */
import { append, clear, el, errorBox, messageOf } from './dom.js';
import { parseRoute } from './router.js';
import { runView } from './run-view.js';
import { runsView } from './runs-view.js';
import type { View } from './view.js';

const app = document.getElementById('app')!;
const messages = document.getElementById('messages')!;
let current: View | undefined;

function show(): void {
  current?.dispose();
  current = undefined;
  clear(app);
  clear(messages);
  const route = parseRoute(location.hash);
  document.body.setAttribute('data-view', route.view);
  switch (route.view) {
    case 'runs':
      current = runsView(app);
      break;
    case 'run':
      current = runView(app, route.id);
      break;
    default:
      append(app, errorBox(`No such page: #${route.hash}`), el('p', {}, el('a', { href: '#/' }, 'all runs')));
  }
  window.scrollTo(0, 0);
}

window.addEventListener('error', (e) => append(messages, errorBox(`Error in the page: ${e.message}`)));
window.addEventListener('unhandledrejection', (e) => append(messages, errorBox(`Error in the page: ${messageOf(e.reason)}`)));
window.addEventListener('hashchange', show);
show();
