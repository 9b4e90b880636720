/**
 * PNG encoding off the caller's event loop: a lazily created piscina pool
 * (0–2 threads, idle threads exit after 2 s, so a run without images costs nothing).
 * Images under INLINE_MAX_PIXELS are encoded inline, on the caller's thread: at that size
 * fast-png takes ~0.1–0.3 ms and the pool round trip adds ~0.2–0.3 ms (2 vCPU EPYC, Node 20).
 */
import { Piscina } from 'piscina';
import type { RawImage } from '../sink/index.js';
import { encodeRawImage } from './png-task.js';

export const INLINE_MAX_PIXELS = 4096;

export interface PngEncoder {
  encodePng(img: RawImage): Promise<Uint8Array>;
  /** Waits for queued encodings, then stops the pool's threads. */
  close(): Promise<void>;
}

export function createPngEncoder(): PngEncoder {
  let pool: Piscina<RawImage, Uint8Array> | undefined;
  let closed = false;
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
      pool ??= new Piscina<RawImage, Uint8Array>({
        filename: new URL('./png-task.js', import.meta.url).href,
        minThreads: 0,
        maxThreads: 2,
        idleTimeout: 2000,
      });
      return pool.run(img);
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
