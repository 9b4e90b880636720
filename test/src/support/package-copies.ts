/**
 * A node_modules tree, in a directory outside the workspace, made of this workspace's built
 * packages (package.json and dist copied, so each copy is a distinct module to Node), with the
 * packages' own dependencies linked from the workspace's node_modules. It lets a test lay out
 * what npm may install for a user: two copies of core, or core without @ranklog/figures.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const WORKSPACE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** `layout`: where (relative to root) → which workspace package folder, e.g. { 'node_modules/@ranklog/core': 'core' }. */
export function installCopies(root: string, layout: Record<string, string>): void {
  for (const [where, pkg] of Object.entries(layout)) {
    const from = path.join(WORKSPACE, 'packages', pkg);
    const to = path.join(root, where);
    fs.mkdirSync(to, { recursive: true });
    for (const file of ['package.json', 'index.cjs']) if (fs.existsSync(path.join(from, file))) fs.copyFileSync(path.join(from, file), path.join(to, file));
    fs.cpSync(path.join(from, 'dist'), path.join(to, 'dist'), { recursive: true });
    const manifest = JSON.parse(fs.readFileSync(path.join(from, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(manifest.dependencies ?? {})) {
      const link = path.join(root, 'node_modules', dep);
      if (fs.existsSync(link)) continue;
      fs.mkdirSync(path.dirname(link), { recursive: true });
      // Node resolves a linked package's own imports from its real path, inside the workspace.
      fs.symlinkSync(path.join(WORKSPACE, 'node_modules', dep), link, 'dir');
    }
  }
}
