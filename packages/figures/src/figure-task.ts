/**
 * Piscina task: a figure → PNG bytes, run in @ranklog/core's encoder pool (core's
 * encode/png-pool.ts) so neither a training thread nor a writer thread spends its event loop on it. This module is loaded
 * only inside a pool thread, on the first figure that needs rendering, so resvg stays out of
 * runs that log no figures; vega and vega-lite (~250 ms to import) are imported on the first
 * Vega-Lite figure only.
 *
 * - PNG bytes: returned unchanged.
 * - SVG: rasterised by resvg at the SVG's own size (width/height, else its viewBox), 1:1,
 *   on a white background.
 * - Vega-Lite: compiled by vega-lite, run by a headless vega View (renderer 'none', no
 *   canvas), serialised with view.toSVG(), then rasterised as above.
 *
 * Text: resvg draws text only with fonts it has loaded. A machine may have no system fonts
 * at all (text would silently vanish), and scanning them costs ~50 ms per render, so the
 * DejaVu TrueType files of the `dejavu-fonts-ttf` package are loaded instead and the generic
 * families map to them: output is the same on every machine. Glyphs DejaVu lacks (CJK, …)
 * are not drawn. If that package is missing, system fonts are used.
 *
 * Vega never fetches over the network here (a compute node often has no internet and a
 * fetch could stall a pool thread): `data.url` may name a local file; an http(s) URL is
 * refused with an error that says to inline the rows. A data source that fails to load
 * fails the figure instead of producing an empty chart.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';
import type * as Vega from 'vega';
import type * as VegaLite from 'vega-lite';
import type { FigureItem } from '@ranklog/core/sink';

/** Largest raster produced: 16384 px a side and 2^25 px in all (128 MiB of RGBA while rendering). */
export const MAX_FIGURE_SIDE = 16384;
export const MAX_FIGURE_PIXELS = 1 << 25;
/** Warnings kept per figure (vega-lite can repeat one per data row). */
const MAX_WARNINGS = 8;

export interface RenderedFigure {
  png: Uint8Array;
  /** What vega-lite / vega warned about while rendering (the figure was still drawn). */
  warnings: string[];
}

const require = createRequire(import.meta.url);

const FONT_FILES = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSans-Oblique.ttf', 'DejaVuSans-BoldOblique.ttf', 'DejaVuSerif.ttf', 'DejaVuSansMono.ttf'];

function fontOptions(): NonNullable<ResvgRenderOptions['font']> {
  let dir: string;
  try {
    dir = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
  } catch {
    return { loadSystemFonts: true };
  }
  return {
    loadSystemFonts: false,
    fontFiles: FONT_FILES.map((f) => path.join(dir, f)),
    defaultFontFamily: 'DejaVu Sans',
    sansSerifFamily: 'DejaVu Sans',
    serifFamily: 'DejaVu Serif',
    monospaceFamily: 'DejaVu Sans Mono',
    cursiveFamily: 'DejaVu Sans',
    fantasyFamily: 'DejaVu Sans',
  };
}

const RESVG_OPTIONS: ResvgRenderOptions = {
  background: 'white',
  fitTo: { mode: 'original' },
  font: fontOptions(),
  logLevel: 'off',
};

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Browsers draw an <svg> without xmlns inside HTML, and hand-written SVG often omits it, but
 * resvg parses XML strictly and then finds no SVG root ("the document does not have a root
 * node"). Declare the SVG (and, when used, the xlink) namespace on the root if it is missing.
 */
function withNamespaces(svg: string): string {
  // The root start tag, after an XML declaration, comments and a doctype (as the producer's check).
  const m = /^(\s*(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*(?:<!DOCTYPE[^>]*>\s*)?)(<svg)((?=[\s/>])[^>]*>)/i.exec(svg);
  if (!m) return svg;
  const attrs = m[3]!;
  let add = '';
  if (!/\sxmlns\s*=/.test(attrs)) add += ' xmlns="http://www.w3.org/2000/svg"';
  if (!/\sxmlns:xlink\s*=/.test(attrs) && svg.includes('xlink:')) add += ' xmlns:xlink="http://www.w3.org/1999/xlink"';
  if (add === '') return svg;
  const at = m[1]!.length + m[2]!.length;
  return svg.slice(0, at) + add + svg.slice(at);
}

/** SVG text → PNG bytes at the SVG's own size. */
export function svgToPng(svg: string): Uint8Array {
  let r: Resvg;
  try {
    r = new Resvg(withNamespaces(svg), RESVG_OPTIONS);
  } catch (err) {
    throw new Error(`ranklog figure: the SVG could not be parsed (${message(err)})`, { cause: err });
  }
  const w = Math.ceil(r.width);
  const h = Math.ceil(r.height);
  if (!(w >= 1 && h >= 1)) throw new Error(`ranklog figure: the SVG has no area (${r.width}×${r.height}); give <svg> a width and height or a viewBox`);
  if (w > MAX_FIGURE_SIDE || h > MAX_FIGURE_SIDE || w * h > MAX_FIGURE_PIXELS) {
    throw new Error(`ranklog figure: the figure is ${w}×${h} px; figures are rendered up to ${MAX_FIGURE_SIDE} px a side and ${MAX_FIGURE_PIXELS} px in all`);
  }
  const png = r.render().asPng();
  // A copy the pool can transfer: a Buffer made by the native addon may share or pin its memory.
  return new Uint8Array(png);
}

/**
 * A vega-util logger that keeps warnings and errors. vega calls the methods with `this` set to
 * the Dataflow (`_log[method].apply(df, args)`), so they are closures that never use `this`.
 */
function collectingLogger(): { logger: Vega.LoggerInterface; warnings: string[] } {
  const warnings: string[] = [];
  let lvl = 2; // vega-util's Warn
  const add = (args: unknown[]): void => {
    const m = args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : safeJson(a))).join(' ');
    if (warnings.length < MAX_WARNINGS && !warnings.includes(m)) warnings.push(m);
  };
  const logger: Vega.LoggerInterface = {
    level: (l?: number) => {
      if (l === undefined) return lvl;
      lvl = l;
      return logger;
    },
    error: (...args: unknown[]) => {
      add(args);
      return logger;
    },
    warn: (...args: unknown[]) => {
      add(args);
      return logger;
    },
    info: () => logger,
    debug: () => logger,
  };
  return { logger, warnings };
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** A file-mode vega loader that refuses network URLs with an actionable message. */
function offlineLoader(vega: typeof Vega): Vega.Loader {
  const base = vega.loader({ mode: 'file' });
  const load: Vega.Loader['load'] = (uri, options) => {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) && !/^file:\/\//i.test(uri)) {
      return Promise.reject(new Error(`'${uri}' is not fetched: figures are rendered offline; put the rows in data.values`));
    }
    return base.load(uri, options);
  };
  return Object.assign(Object.create(base) as Vega.Loader, { load });
}

let vegaLibs: Promise<{ vega: typeof Vega; vl: typeof VegaLite }> | undefined;
function loadVega(): Promise<{ vega: typeof Vega; vl: typeof VegaLite }> {
  return (vegaLibs ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vl]) => ({ vega, vl })));
}

/** Vega-Lite spec → SVG text. Throws with the spec's problem named. */
export async function vegaLiteToSvg(spec: Record<string, unknown>, warnings: string[]): Promise<string> {
  const { vega, vl } = await loadVega();
  const log = collectingLogger();
  let vgSpec: Vega.Spec;
  try {
    vgSpec = vl.compile(spec as unknown as VegaLite.TopLevelSpec, { logger: log.logger }).spec;
  } catch (err) {
    throw new Error(`ranklog figure: invalid Vega-Lite spec: ${diagnose(spec) ?? message(err)}${hint(log.warnings)}`, { cause: err });
  }
  let view: Vega.View | undefined;
  let svg: string;
  try {
    view = new vega.View(vega.parse(vgSpec), { renderer: 'none', logger: log.logger, loader: offlineLoader(vega) });
    svg = await view.toSVG();
  } catch (err) {
    throw new Error(`ranklog figure: the Vega-Lite spec could not be rendered: ${diagnose(spec) ?? message(err)}${hint(log.warnings)}`, { cause: err });
  } finally {
    view?.finalize();
  }
  // vega only warns when a data source fails to load and draws an empty chart: fail instead.
  const failedLoad = log.warnings.find((w) => w.startsWith('Loading failed '));
  if (failedLoad) throw new Error(`ranklog figure: the Vega-Lite spec's data could not be loaded: ${failedLoad.slice('Loading failed '.length)}`);
  warnings.push(...log.warnings);
  return svg;
}

function hint(warnings: string[]): string {
  return warnings.length === 0 ? '' : ` (vega warned: ${warnings.join('; ')})`;
}

interface SchemaEnums {
  marks: Set<string>;
  types: Set<string>;
  channels: Set<string>;
}
let enums: SchemaEnums | undefined;

/** The vocabularies of vega-lite's own JSON schema (read only when a spec has failed). */
function schemaEnums(): SchemaEnums | undefined {
  if (enums) return enums;
  try {
    const d = (require('vega-lite/vega-lite-schema.json') as { definitions: Record<string, { enum?: string[]; const?: string; properties?: object }> })
      .definitions;
    enums = {
      marks: new Set([...(d.Mark?.enum ?? []), d.BoxPlot?.const, d.ErrorBar?.const, d.ErrorBand?.const].filter((m): m is string => typeof m === 'string')),
      types: new Set(d.Type?.enum ?? []),
      channels: new Set(Object.keys(d.FacetedEncoding?.properties ?? {})),
    };
  } catch {
    return undefined;
  }
  return enums;
}

/**
 * vega-lite's own messages for common mistakes are often opaque ("Cannot read properties of
 * undefined (reading 'filled')" for an unknown mark). Name the first unknown mark, channel
 * or field type, with where it is in the spec.
 */
function diagnose(spec: unknown, at = 'spec'): string | undefined {
  const e = schemaEnums();
  if (!e || spec === null || typeof spec !== 'object') return undefined;
  const s = spec as Record<string, unknown>;
  if ('mark' in s) {
    const mark = typeof s.mark === 'object' && s.mark !== null ? (s.mark as { type?: unknown }).type : s.mark;
    if (typeof mark !== 'string' || !e.marks.has(mark)) {
      return `${at}.mark ${JSON.stringify(mark)} is not a Vega-Lite mark (one of ${[...e.marks].join(', ')})`;
    }
  }
  if (s.encoding !== null && typeof s.encoding === 'object') {
    for (const [channel, def] of Object.entries(s.encoding)) {
      if (!e.channels.has(channel)) return `${at}.encoding.${channel} is not a Vega-Lite encoding channel`;
      for (const [i, d] of (Array.isArray(def) ? def : [def]).entries()) {
        const type = (d as { type?: unknown } | null)?.type;
        if (type !== undefined && (typeof type !== 'string' || !e.types.has(type))) {
          const where = Array.isArray(def) ? `${at}.encoding.${channel}[${i}]` : `${at}.encoding.${channel}`;
          return `${where}.type ${JSON.stringify(type)} is not a Vega-Lite field type (one of ${[...e.types].join(', ')})`;
        }
      }
    }
  }
  for (const key of ['layer', 'concat', 'hconcat', 'vconcat']) {
    const parts = s[key];
    if (!Array.isArray(parts)) continue;
    for (let i = 0; i < parts.length; i++) {
      const found = diagnose(parts[i], `${at}.${key}[${i}]`);
      if (found) return found;
    }
  }
  return 'spec' in s ? diagnose(s.spec, `${at}.spec`) : undefined;
}

/** Any figure → PNG bytes, with what vega warned about. */
export async function renderFigureToPng(item: FigureItem): Promise<RenderedFigure> {
  const warnings: string[] = [];
  switch (item?.format) {
    case 'png':
      return { png: item.data, warnings };
    case 'svg':
      if (typeof item.svg !== 'string') throw new TypeError('ranklog figure: an SVG figure needs its text in item.svg');
      return { png: svgToPng(item.svg), warnings };
    case 'vega-lite':
      if (item.spec === null || typeof item.spec !== 'object') throw new TypeError('ranklog figure: a Vega-Lite figure needs its spec object in item.spec');
      return { png: svgToPng(await vegaLiteToSvg(item.spec, warnings)), warnings };
    default:
      throw new TypeError(`ranklog figure: unknown figure format ${JSON.stringify((item as { format?: unknown } | null)?.format)}`);
  }
}

/**
 * The pool's entry point (selected by name). The PNG is cloned back, not transferred: piscina's
 * move() marks values with a symbol private to one copy of piscina, and this package does not
 * share core's copy. A clone of a PNG costs far less than rendering it.
 */
export async function renderFigureTask(item: FigureItem): Promise<RenderedFigure> {
  return renderFigureToPng(item);
}
