/**
 * Reading the viewer's charts from a page: each `.chart` container carries `data-identifier`,
 * `data-state`, `data-version`, `data-x`, `data-zoom` and `data-series` ("<label>:<points
 * drawn>;…"), set by packages/view/ui/chart.ts. Waits are page.waitForFunction on those
 * attributes: they resolve on the DOM state, never after a fixed sleep.
 */
import type { Page } from 'playwright-core';
import type { PageElement, PageGlobals } from './browser-dom.js';

export interface ChartState {
  state: string | null;
  version: string | null;
  x: string | null;
  zoom: string | null;
  series: string | null;
  /** The legend's series labels as uPlot drew them (the x series excluded, hidden raw rows excluded). */
  legend: string[];
}

/** "rank 0:120;rank 1:120" → { "rank 0": 120, "rank 1": 120 } */
export function parseSeries(text: string | null): Record<string, number> {
  const out: Record<string, number> = {};
  if (!text) return out;
  for (const part of text.split(';')) {
    const i = part.lastIndexOf(':');
    out[part.slice(0, i)] = Number(part.slice(i + 1));
  }
  return out;
}

/**
 * Waits until the chart of `identifier` is drawn (data-state "ready"), with `data-series` equal to
 * `series` and `data-x` equal to `x` when given; returns its state.
 */
export async function waitForChart(page: Page, identifier: string, want: { series?: string; x?: string; zoomed?: boolean } = {}): Promise<ChartState> {
  try {
    return await waitFor(page, identifier, want);
  } catch (e) {
    // Say what the chart showed instead: a bare timeout names neither the chart nor its state.
    const last = await page
      .evaluate((identifier) => {
        const doc = (globalThis as unknown as PageGlobals).document;
        const chart = [...doc.querySelectorAll('.chart[data-identifier]')].find((e: PageElement) => e.getAttribute('data-identifier') === identifier);
        if (!chart) return 'no such chart';
        return ['state', 'x', 'version', 'zoom', 'series'].map((k) => `${k}=${chart.getAttribute(`data-${k}`)}`).join(' ');
      }, identifier)
      .catch(() => 'page gone');
    throw new Error(
      `chart ${JSON.stringify(identifier)}: waited for ${JSON.stringify(want)}, it shows ${last} (${e instanceof Error ? e.message : String(e)})`,
    );
  }
}

async function waitFor(page: Page, identifier: string, want: { series?: string; x?: string; zoomed?: boolean }): Promise<ChartState> {
  const handle = await page.waitForFunction(
    ({ identifier, want }) => {
      const doc = (globalThis as unknown as PageGlobals).document;
      const chart = [...doc.querySelectorAll('.chart[data-identifier]')].find((e: PageElement) => e.getAttribute('data-identifier') === identifier);
      if (chart?.getAttribute('data-state') !== 'ready') return false;
      if (want.series !== undefined && chart.getAttribute('data-series') !== want.series) return false;
      if (want.x !== undefined && chart.getAttribute('data-x') !== want.x) return false;
      if (want.zoomed !== undefined && (chart.getAttribute('data-zoom') !== null) !== want.zoomed) return false;
      return {
        state: chart.getAttribute('data-state'),
        version: chart.getAttribute('data-version'),
        x: chart.getAttribute('data-x'),
        zoom: chart.getAttribute('data-zoom'),
        series: chart.getAttribute('data-series'),
        legend: [...chart.querySelectorAll('.u-legend .u-series')]
          .slice(1)
          .filter((row) => !(row.getAttribute('class') ?? '').split(' ').includes('raw'))
          .map((row) => row.querySelector('.u-label')?.textContent ?? ''),
      };
    },
    { identifier, want },
  );
  return (await handle.jsonValue()) as ChartState;
}
