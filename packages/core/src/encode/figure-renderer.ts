/**
 * Where the figure renderer is. Rendering SVG and Vega-Lite to PNG needs resvg, vega, vega-lite
 * and fonts (~41 MB, 80-odd packages), so it lives in its own package, @ranklog/figures, which
 * users install when they want PNGs. Core finds it by name from here (a resolve, nothing is
 * loaded): where it is missing, backends keep figures as their SVG / Vega-Lite source.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** The package users install for PNGs, and the command, as every message names them. */
export const FIGURE_PACKAGE = '@ranklog/figures';

let resolved: string | null | undefined;

/** The URL of @ranklog/figures' pool task, or undefined when that package is not installed. */
export function figureTaskUrl(): string | undefined {
  if (resolved === undefined) {
    try {
      resolved = pathToFileURL(createRequire(import.meta.url).resolve(`${FIGURE_PACKAGE}/task`)).href;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException | null)?.code;
      if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw e;
      resolved = null;
    }
  }
  return resolved ?? undefined;
}
