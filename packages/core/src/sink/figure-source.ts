/**
 * A figure kept as its source. Rendering SVG / Vega-Lite to PNG needs @ranklog/figures; where
 * it is not installed (SinkEnv.renderFigure is then absent) a backend keeps the source instead
 * and says once, with these words, how to get PNGs.
 */
/** An SVG or Vega-Lite figure: one that needs rendering to become a PNG. */
export type SourceFigure = { readonly format: 'svg'; readonly svg: string } | { readonly format: 'vega-lite'; readonly spec: Record<string, unknown> };

/** A figure's source as a file: its extension, its text, and what to call it in messages. */
export interface FigureSource {
  readonly ext: '.svg' | '.vl.json';
  readonly text: string;
  readonly what: 'SVG' | 'Vega-Lite';
}

/** The file a figure is kept as when it is not rendered: `.svg` or `.vl.json`, and its text. */
export function figureSource(item: SourceFigure): FigureSource {
  return item.format === 'svg'
    ? { ext: '.svg', text: item.svg, what: 'SVG' }
    : { ext: '.vl.json', text: JSON.stringify(item.spec, null, 2) + '\n', what: 'Vega-Lite' };
}

/** The one warning of a backend that keeps figures as source: what happened and the command that changes it. */
export function noFigureRendererWarning(where: string): string {
  return (
    `${where} keeps SVG and Vega-Lite figures as their source (.svg, .vl.json) because @ranklog/figures is not installed; ` +
    'npm install @ranklog/figures renders them to PNG as well.'
  );
}
