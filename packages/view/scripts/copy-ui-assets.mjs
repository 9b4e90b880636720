#!/usr/bin/env node
// The page's static files (ui/*.html, ui/*.css) beside its compiled modules in dist/ui/: the
// server serves that one flat folder. uPlot is not copied: the server serves it from node_modules.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(pkg, 'ui');
const to = join(pkg, 'dist', 'ui');
mkdirSync(to, { recursive: true });
for (const name of readdirSync(from)) if (/\.(html|css)$/.test(name)) copyFileSync(join(from, name), join(to, name));
