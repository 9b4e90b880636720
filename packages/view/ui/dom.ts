/**
 * DOM helpers. SAFETY: every string that comes from the logs (identifiers, run names, params,
 * tags, notes, text and dict files, dataset fields) is user-controlled and reaches the DOM only
 * through these helpers, as text (`textContent` / `createTextNode`) or as a value of a safe
 * attribute set with setAttribute (never `on*`, `style`, `src`/`href` built from anything but our
 * own URL helpers). Nothing in the page uses innerHTML, outerHTML or insertAdjacentHTML, so a
 * string like `<img src=x onerror=…>` is always shown as the literal text it is.
 */

type Child = Node | string | null | undefined | false;

/** Attributes the helpers accept: event handlers and inline styles are refused at compile time and at run time. */
type Attrs = Record<string, string | number | boolean | null | undefined>;

const UNSAFE_ATTR = /^(on|style$|srcdoc$)/i;

/** Sets an attribute by name (not an `on*` handler or `style`); null/undefined/false removes it. */
export function attr(e: Element, name: string, value: string | number | boolean | null | undefined): void {
  if (UNSAFE_ATTR.test(name)) throw new Error(`refusing to set the attribute ${name}`);
  if (value === null || value === undefined || value === false) e.removeAttribute(name);
  else e.setAttribute(name, value === true ? '' : String(value));
}

/** Creates an element with attributes and children; strings become text nodes. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) attr(e, k, v);
  append(e, ...children);
  return e;
}

/** Appends children; strings as text nodes (never parsed as HTML). */
export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
}

/** Removes every child. */
export function clear(e: Node): void {
  while (e.firstChild) e.removeChild(e.firstChild);
}

/** Replaces the children of `e`. */
export function replace(e: Node, ...children: Child[]): void {
  clear(e);
  append(e, ...children);
}

/** A visible error message (role=alert), so a failed fetch is never a silent blank. */
export function errorBox(message: string): HTMLElement {
  return el('div', { class: 'error', role: 'alert' }, message);
}

/** The message of anything thrown. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A value from the logs as display text: strings as they are, everything else as JSON. */
export function display(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
