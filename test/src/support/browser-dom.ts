/**
 * The few page-side shapes the browser tests touch. The test project is compiled for Node (no DOM
 * lib), and functions passed to page.evaluate / waitForFunction run in the page, serialised, so
 * they cannot call helpers from here: they cast `globalThis` to PageGlobals inline (a type-only
 * cast, gone at run time).
 */
export interface PageElement {
  readonly tagName: string;
  readonly textContent: string | null;
  readonly hidden?: boolean;
  readonly naturalWidth?: number;
  readonly complete?: boolean;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
}

export interface ViolationEvent {
  violatedDirective: string;
  blockedURI: string;
  sourceFile: string;
  lineNumber: number;
}

export interface PageGlobals {
  document: PageElement & { addEventListener(type: 'securitypolicyviolation', f: (e: ViolationEvent) => void): void };
  __cspViolations?: string[];
  __pwned?: unknown;
}
