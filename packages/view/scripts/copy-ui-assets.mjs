#!/usr/bin/env node
// The page's static files (ui/*.html, ui/*.css) beside its compiled modules in dist/ui/: the
// server serves that one flat folder. uPlot is not copied: the server serves it from node_modules.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(pkg, 'ui');
const to = join(pkg, 'dist', 'ui');
mkdirSync(to, { recursive: true });
for (const name of readdirSync(from)) if (/\.css$/.test(name)) copyFileSync(join(from, name), join(to, name));

// index.html names every module of the page for preloading: the browser fetches them at once
// instead of one import level after another (a waterfall of round trips before the first chart).
const modules = [
  'uPlot.esm.js',
  ...readdirSync(to)
    .filter((n) => n.endsWith('.js'))
    .sort(),
];
const preload = modules.map((m) => `  <link rel="modulepreload" href="/ui/${m}">`).join('\n');
const html = readFileSync(join(from, 'index.html'), 'utf8');
if (!html.includes('<!-- modulepreload -->')) throw new Error('ui/index.html lacks the <!-- modulepreload --> marker');
writeFileSync(join(to, 'index.html'), html.replace('<!-- modulepreload -->', preload.trimStart()));
