/**
 * Types for `./uPlot.esm.js`, which the server serves from the installed `uplot` package at
 * /ui/uPlot.esm.js (beside this page's modules, so the relative import works without a bundler).
 * The types are uPlot's own shipped dist/uPlot.d.ts.
 */
import uPlot from 'uplot';

export default uPlot;
