#!/usr/bin/env node
/**
 * No import cycles, between files or between folders: each package's source tree must read top to
 * bottom (docs/architecture.md, "Layers"). Uses madge's dependency graph (type imports included:
 * they are dependencies of the design too). Exits 1 and names every cycle found.
 */
import madge from 'madge';
import { readdirSync, existsSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = ['packages', 'tools']
  .filter((d) => existsSync(join(root, d)))
  .flatMap((d) => readdirSync(join(root, d)).map((p) => join(root, d, p, 'src')))
  .filter((d) => existsSync(d));

/** Strongly connected components of size > 1 (Tarjan): the folder cycles. */
function cycles(graph) {
  let index = 0;
  const idx = new Map();
  const low = new Map();
  const stack = [];
  const on = new Set();
  const out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

let problems = 0;
for (const src of sources) {
  const name = relative(root, dirname(src));
  const result = await madge(src, { fileExtensions: ['ts'], tsConfig: join(root, 'tsconfig.base.json'), excludeRegExp: [/\.d\.ts$/] });
  for (const c of result.circular()) {
    problems++;
    console.error(`${name}: file cycle: ${c.join(' → ')}`);
  }
  const folderOf = (f) => (f.includes('/') ? f.slice(0, f.lastIndexOf('/')) : '.');
  const top = (f) => folderOf(f).split('/')[0];
  const folders = new Map();
  const edges = new Map();
  for (const [file, deps] of Object.entries(result.obj())) {
    for (const dep of deps) {
      const a = top(file);
      const b = top(dep);
      if (a === b || a === '.' || b === '.') continue;
      if (!folders.has(a)) folders.set(a, new Set());
      folders.get(a).add(b);
      edges.set(`${a}→${b}`, `${file} → ${dep}`);
    }
  }
  for (const scc of cycles(folders)) {
    problems++;
    const inCycle = [...edges].filter(([k]) => {
      const [a, b] = k.split('→');
      return scc.includes(a) && scc.includes(b);
    });
    console.error(`${name}: folder cycle between ${scc.join(', ')}:\n${inCycle.map(([, e]) => `  ${e}`).join('\n')}`);
  }
}
if (problems > 0) {
  console.error(`check-imports: ${problems} cycle(s)`);
  process.exit(1);
}
console.log(`check-imports: no import cycles in ${sources.length} packages`);
