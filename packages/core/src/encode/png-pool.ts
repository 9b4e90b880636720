/**
 * PNG encoding and figure rendering off the caller's event loop: a lazily created piscina pool
 * (0–2 threads, idle threads exit after 2 s, so a run without images costs nothing).
 * Images under INLINE_MAX_PIXELS are encoded inline, on the caller's thread: at that size
 * fast-png takes ~0.1–0.3 ms and the pool round trip adds ~0.2–0.3 ms (2 vCPU EPYC, Node 20).
 *
 * Figures (SVG, Vega-Lite) always render in the pool, through a second task module, the
 * figure task of @ranklog/figures (encode/figure-renderer.ts), selected per run: a pool thread
 * imports resvg on its first figure and vega/vega-lite on its first Vega-Lite figure; this
 * module never imports them.
 */
import { Piscina } from 'piscina';
import type { FigureItem, RawImage } from '../sink/index.js';
import { encodeRawImage } from './png-task.js';
import { FIGURE_PACKAGE, figureTaskUrl } from './figure-renderer.js';

export const INLINE_MAX_PIXELS = 4096;

/** A figure still rendering after this long (time queued included) is abandoned and its thread stopped. */
export const FIGURE_TIMEOUT_MS = 120_000;

/** What @ranklog/figures' task returns: the PNG and what vega-lite / vega warned about while drawing it. */
interface RenderedFigure {
  png: Uint8Array;
  warnings: string[];
}

export interface PngEncoder {
  encodePng(img: RawImage): Promise<Uint8Array>;
  /**
   * A figure as PNG bytes: PNG bytes are returned as they are (no thread hop); SVG and
   * Vega-Lite are rendered in the pool. onWarning receives what vega-lite/vega warned about
   * for a figure that still rendered (an ignored encoding, an unknown aggregate, …).
   * Rejects with a message naming the problem (invalid SVG, invalid Vega-Lite spec, too large).
   */
  renderFigure(item: FigureItem, onWarning?: (message: string) => void): Promise<Uint8Array>;
  /** Waits for queued encodings and renderings, then stops the pool's threads. */
  close(): Promise<void>;
}

/** figureTask: the URL of the figure task; default @ranklog/figures', if installed (else renderFigure rejects, naming the package). */
export function createPngEncoder(figureTask: string | undefined = figureTaskUrl()): PngEncoder {
  let pool: Piscina | undefined;
  let closed = false;
  const getPool = (): Piscina =>
    (pool ??= new Piscina({
      filename: new URL('./png-task.js', import.meta.url).href,
      minThreads: 0,
      maxThreads: 2,
      idleTimeout: 2000,
    }));
  return {
    encodePng(img: RawImage): Promise<Uint8Array> {
      if (closed) return Promise.reject(new Error('ranklog: the PNG encoder is closed'));
      if (img.width * img.height < INLINE_MAX_PIXELS) {
        try {
          return Promise.resolve(encodeRawImage(img));
        } catch (err) {
          return Promise.reject(err);
        }
      }
      return getPool().run(img) as Promise<Uint8Array>;
    },
    async renderFigure(item: FigureItem, onWarning?: (message: string) => void): Promise<Uint8Array> {
      if (closed) throw new Error('ranklog: the PNG encoder is closed');
      if (item?.format === 'png') return item.data;
      if (figureTask === undefined)
        throw new Error(`ranklog figure: ${FIGURE_PACKAGE} is not installed; npm install ${FIGURE_PACKAGE} renders SVG and Vega-Lite figures to PNG`);
      let out: RenderedFigure;
      try {
        out = (await getPool().run(item, {
          filename: figureTask,
          name: 'renderFigureTask',
          signal: AbortSignal.timeout(FIGURE_TIMEOUT_MS),
        })) as RenderedFigure;
      } catch (err) {
        // piscina stops the thread of an aborted task: a spec that never finishes cannot hold the pool.
        if ((err as Error | null)?.name === 'AbortError') {
          throw new Error(`ranklog figure: rendering took longer than ${FIGURE_TIMEOUT_MS / 1000} s and was stopped`, { cause: err });
        }
        throw err;
      }
      if (onWarning) for (const w of out.warnings) onWarning(w);
      return out.png;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      const p = pool;
      pool = undefined;
      if (p) await p.close();
    },
  };
}
