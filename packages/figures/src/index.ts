/**
 * @ranklog/figures — renders ranklog's SVG and Vega-Lite figures to PNG. Install it next to
 * @ranklog/core and every backend gets PNGs; without it figures are kept as their source.
 * Core finds it by name (`@ranklog/figures/task`) and runs it in its encoder pool: nothing
 * to import or configure. The functions are exported for tools that render figures themselves.
 */
export { MAX_FIGURE_PIXELS, MAX_FIGURE_SIDE, renderFigureToPng, svgToPng, vegaLiteToSvg, type RenderedFigure } from './figure-task.js';
