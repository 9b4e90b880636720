/**
 * A real browser for the viewer's tests: Debian's chromium (`.ci/run` installs it; RANKLOG_CHROMIUM
 * names another binary) driven by playwright-core, which never downloads a browser of its own.
 * Tests are declared with browserTest(), which decides at module load what to do when the binary
 * is missing (the pattern of reference-data.ts):
 *
 *   - CI (process.env.CI set, not '0'/'false'): every such test is registered and fails, saying
 *     chromium is missing and that .ci/run installs it.
 *   - elsewhere: the tests are skipped and one line says why.
 *
 * Each test gets its own browser context (fresh storage) and a page whose console errors, page
 * errors and Content-Security-Policy violations are recorded, for the test to assert none.
 */
import test, { type ExecutionContext } from 'ava';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { PageGlobals } from './browser-dom.js';
import { inCi } from './reference-data.js';

export const CHROMIUM = process.env.RANKLOG_CHROMIUM || '/usr/bin/chromium';

/**
 * Headless, as root (no sandbox), and nothing that reaches out to the network: this machine
 * refuses outside connections, and chromium's background services would otherwise try.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Playwright's waits: a liveness bound on a loaded 2-core machine, never a timing assertion. */
export const BROWSER_TIMEOUT_MS = 60_000;

/** test/dist/support/ → test/artifacts/view/ (gitignored): screenshots kept for the report. */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../artifacts/view/', import.meta.url));

let browser: Promise<Browser> | undefined;

/** One browser for the test file, launched on first use (a fresh --user-data-dir: launch() makes one). */
function sharedBrowser(): Promise<Browser> {
  browser ??= chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: BROWSER_TIMEOUT_MS });
  return browser;
}

/** Problems the page reported: console errors, uncaught exceptions, CSP violations. */
export interface PageSession {
  page: Page;
  problems(): Promise<string[]>;
  /** The CSP violations seen by the page's `securitypolicyviolation` listener (installed before any page script). */
  cspViolations(): Promise<string[]>;
  screenshot(name: string): Promise<string>;
}

async function openPage(t: ExecutionContext): Promise<PageSession> {
  const b = await sharedBrowser();
  const context = await b.newContext({ viewport: { width: 1280, height: 900 } });
  t.teardown(() => context.close());
  context.setDefaultTimeout(BROWSER_TIMEOUT_MS);
  await context.addInitScript(() => {
    const w = globalThis as unknown as PageGlobals;
    const seen: string[] = [];
    w.__cspViolations = seen;
    w.document.addEventListener('securitypolicyviolation', (e) =>
      seen.push(`${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`),
    );
  });
  const page = await context.newPage();
  const logged: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') logged.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => logged.push(`page error: ${e.message}`));
  const cspViolations = () => page.evaluate(() => (globalThis as unknown as PageGlobals).__cspViolations ?? []);
  return {
    page,
    cspViolations,
    problems: async () => [...logged, ...(await cspViolations()).map((v) => `CSP violation: ${v}`)],
    screenshot: async (name) => {
      mkdirSync(ARTIFACTS_DIR, { recursive: true });
      const file = `${ARTIFACTS_DIR}${name}.png`;
      await page.screenshot({ path: file, fullPage: true });
      t.log(`screenshot: ${file}`);
      return file;
    },
  };
}

type Body = (t: ExecutionContext, session: PageSession) => Promise<void>;

const skipped: string[] = [];

/**
 * test.serial(title, body) with a fresh page when chromium is there; otherwise a failure in CI
 * and a skip elsewhere. Serial: one page at a time keeps a 2-core machine responsive.
 */
export function browserTest(file: string, title: string, body: Body): void {
  if (existsSync(CHROMIUM)) {
    test.serial(title, async (t) => body(t, await openPage(t)));
    return;
  }
  const why = `chromium is missing at ${CHROMIUM}${process.env.RANKLOG_CHROMIUM ? ' (RANKLOG_CHROMIUM)' : ''}`;
  if (inCi()) {
    test.serial(title, (t) => {
      t.fail(`${why}: .ci/run installs it (apt-get install --no-install-recommends chromium, Debian's package); set RANKLOG_CHROMIUM to use another binary`);
    });
    return;
  }
  if (skipped.length === 0)
    queueMicrotask(() =>
      console.log(
        `${file}: skipping ${skipped.length} browser test${skipped.length === 1 ? '' : 's'}: ${why} (apt-get install chromium, or set RANKLOG_CHROMIUM). In CI this is a failure.`,
      ),
    );
  skipped.push(title);
  test.skip(title, () => undefined);
}

test.after.always(async () => {
  if (browser) await (await browser).close();
});
