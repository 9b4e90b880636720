/**
 * Records that become files of their own, under <top>/<identifier>/<stem>.<ext> where
 * <stem> = rank<r>[-step<s>][-batch<b>]:
 *   text/ and dicts/    written at once
 *   images/, figures/   queued: raw pixels and SVG / Vega-Lite figures are encoded to PNG in the
 *                       pool while the batch goes on; finish() publishes the queue in log order
 *                       (so duplicate names get suffixes in the order they were logged)
 *   artifacts/          a copy of the logged file or directory, complete or not at all
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FigureItem, ImageItem, PathItem, SinkEnv } from '../../sink/index.js';
import { copyTree, skippedLinksMessage } from '../../sink/copy-tree.js';
import { figureSource, noFigureRendererWarning } from '../../sink/figure-source.js';
import { errCode, type Outcomes } from './outcomes.js';
import type { Publisher } from './publish.js';

/** Distinct (identifier, vega warning) pairs remembered, so a figure logged every epoch warns once. */
const FIGURE_WARNED_MAX = 1024;

export function stemOf(rank: number, step: number | undefined, batchIdx: number | undefined): string {
  let s = 'rank' + rank;
  if (step !== undefined) s += '-step' + step;
  if (batchIdx !== undefined) s += '-batch' + batchIdx;
  return s;
}

/** An image or figure waiting for finish(), where it is published in log order. */
interface PendingFile {
  dir: string;
  stem: string;
  /** Of the pixels: .png or .jpg. */
  ext: string;
  identifier: string;
  bytes?: Uint8Array;
  encoded?: Promise<Uint8Array | Error>;
  /** A figure: published as one name for all its files. */
  figure?: {
    /** The source of an SVG / Vega-Lite figure, kept beside its PNG. */
    source?: { ext: '.svg' | '.vl.json'; text: string; what: string };
  };
}

function sizeOf(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of fs.readdirSync(p)) total += sizeOf(path.join(p, name));
  return total;
}

export class ItemFiles {
  private pending: PendingFile[] = [];
  private readonly figureWarned = new Set<string>();
  private figureFallbackNoted = false;

  constructor(
    private readonly runDir: string,
    private readonly env: SinkEnv,
    private readonly outcomes: Outcomes,
    private readonly publisher: Publisher,
    private readonly followExternalSymlinks: boolean,
  ) {}

  /** `<runDir>/<top>/<identifier>`, or undefined (with a warning) if the identifier would leave it. */
  private itemDir(top: string, identifier: string): string | undefined {
    const base = path.join(this.runDir, top);
    const dir = path.resolve(base, identifier);
    if (!dir.startsWith(base + path.sep)) {
      this.outcomes.skip(`ranklog local: identifier ${JSON.stringify(identifier)} would leave ${base}; record skipped`);
      return undefined;
    }
    return dir;
  }

  /** text/ and dicts/: written now. */
  write(top: string, identifier: string, stem: string, ext: string, data: string | Uint8Array): void {
    const dir = this.itemDir(top, identifier);
    if (dir !== undefined) this.publisher.publishUnique(dir, stem, ext, data, identifier);
  }

  queueImage(identifier: string, stem: string, img: ImageItem): void {
    const dir = this.itemDir('images', identifier);
    if (dir === undefined) return;
    if (img.format === 'raw') {
      // Encoding starts now, in parallel with the rest of the batch; commit() awaits it
      // (the ring slot holding the pixels is released only after commit returns).
      const encoded = this.env.encodePng(img).then(
        (png) => png,
        (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
      );
      this.pending.push({ dir, stem, ext: '.png', identifier, encoded });
    } else {
      this.pending.push({ dir, stem, ext: img.format === 'png' ? '.png' : '.jpg', identifier, bytes: img.data });
    }
  }

  /** PNG figures as they are; SVG / Vega-Lite rendered to PNG in the pool (started now, awaited by finish), source kept. */
  queueFigure(identifier: string, stem: string, f: FigureItem): void {
    const dir = this.itemDir('figures', identifier);
    if (dir === undefined) return;
    if (f.format === 'png') {
      this.pending.push({ dir, stem, ext: '.png', identifier, bytes: f.data, figure: {} });
      return;
    }
    const source = figureSource(f);
    const render = this.env.renderFigure;
    if (render === undefined) {
      if (!this.figureFallbackNoted) {
        this.figureFallbackNoted = true;
        this.env.warn(noFigureRendererWarning('ranklog local'));
      }
      this.pending.push({ dir, stem, ext: '.png', identifier, figure: { source } });
      return;
    }
    let encoded: Promise<Uint8Array | Error>;
    try {
      encoded = render
        .call(this.env, f, (w) => this.warnFigure(identifier, w))
        .then(
          (png) => png,
          (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
        );
    } catch (err) {
      encoded = Promise.resolve(err instanceof Error ? err : new Error(String(err)));
    }
    this.pending.push({ dir, stem, ext: '.png', identifier, encoded, figure: { source } });
  }

  /** A warning from vega-lite/vega about a figure that still rendered: once per identifier and message. */
  private warnFigure(identifier: string, message: string): void {
    const key = identifier + '\0' + message;
    if (this.figureWarned.has(key)) return;
    if (this.figureWarned.size >= FIGURE_WARNED_MAX) this.figureWarned.clear();
    this.figureWarned.add(key);
    this.env.warn(`ranklog local: figure '${identifier}': ${message}`);
  }

  get hasQueued(): boolean {
    return this.pending.length > 0;
  }

  /** Publish the queued images and figures, once encoded, in log order. */
  async finish(): Promise<void> {
    const queue = this.pending;
    this.pending = [];
    for (const p of queue) {
      let data: Uint8Array | Error | undefined = p.bytes;
      if (p.encoded !== undefined) data = await p.encoded;
      if (p.figure === undefined) {
        if (data instanceof Error) {
          this.outcomes.skip(`ranklog local: image '${p.identifier}' (${p.stem}) could not be encoded to PNG: ${data.message}`);
        } else if (data !== undefined) {
          this.publisher.publishUnique(p.dir, p.stem, p.ext, data, p.identifier);
        }
        continue;
      }
      const source = p.figure.source;
      const files: [string, string | Uint8Array][] = [];
      if (data !== undefined && !(data instanceof Error)) files.push(['.png', data]);
      if (source !== undefined) files.push([source.ext, source.text]);
      const name = this.publisher.publishFigure(p.dir, p.stem, files, p.identifier);
      if (data instanceof Error) {
        this.outcomes.counters.errors++;
        const kept = name === undefined || source === undefined ? '' : `; its ${source.what} source is kept as ${name}${source.ext}`;
        const why = data.message.replace(/^ranklog figure: /, '');
        this.env.warn(`ranklog local: figure '${p.identifier}' (${p.stem}) could not be rendered to PNG: ${why}${kept}`);
      }
    }
  }

  /** Copy an artifact/model (file or directory) to artifacts/<identifier>/<basename>, complete or not at all. */
  copy(identifier: string, item: PathItem): void {
    const dir = this.itemDir('artifacts', identifier);
    if (dir === undefined || !this.outcomes.mayWrite()) return;
    const base = path.basename(item.path);
    const ext = item.isDirectory ? '' : path.extname(base);
    const stem = ext === '' ? base : base.slice(0, -ext.length);
    let tmp: string | undefined;
    try {
      this.publisher.ensureDir(dir);
      tmp = this.publisher.tmpPath(dir, base);
      if (item.isDirectory) {
        // Links inside the directory are followed only while they stay inside it (sink/copy-tree.ts).
        const { skipped } = copyTree(item.path, tmp, { followExternalSymlinks: this.followExternalSymlinks });
        const why = skippedLinksMessage(item.path, skipped);
        if (why !== undefined) this.env.warn(`ranklog local: artifact '${identifier}': ${why}`);
      } else {
        // A logged file that is a link (e.g. in a Hugging Face cache) is copied as what it points to: the user named it.
        fs.copyFileSync(item.path, tmp, fs.constants.COPYFILE_EXCL);
      }
      const bytes = sizeOf(tmp);
      this.publisher.publishCopy(tmp, dir, stem, ext, item.isDirectory);
      this.outcomes.counters.files++;
      this.outcomes.counters.bytes += bytes;
    } catch (err) {
      this.outcomes.fileFailed(err, dir, `ranklog local: cannot copy '${identifier}' from ${item.path} (${errCode(err) ?? String(err)}); record skipped`);
    } finally {
      if (tmp !== undefined) fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
}
