/**
 * What an install weighs: the bytes of every file under node_modules (symbolic links not
 * followed) and the number of packages in it, nested ones included.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface InstalledSize {
  bytes: number;
  packages: number;
  names: string[];
}

function bytesUnder(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += bytesUnder(p);
    else total += fs.lstatSync(p).size;
  }
  return total;
}

function packagesUnder(nodeModules: string, out: string[]): void {
  if (!fs.existsSync(nodeModules)) return;
  for (const e of fs.readdirSync(nodeModules, { withFileTypes: true })) {
    if (e.name.startsWith('.') || !e.isDirectory()) continue;
    const dirs = e.name.startsWith('@') ? fs.readdirSync(path.join(nodeModules, e.name)).map((n) => path.join(e.name, n)) : [e.name];
    for (const d of dirs) {
      if (!fs.existsSync(path.join(nodeModules, d, 'package.json'))) continue;
      out.push(d);
      packagesUnder(path.join(nodeModules, d, 'node_modules'), out);
    }
  }
}

export function installedSize(nodeModules: string): InstalledSize {
  const names: string[] = [];
  packagesUnder(nodeModules, names);
  return { bytes: bytesUnder(nodeModules), packages: names.length, names: names.sort() };
}
