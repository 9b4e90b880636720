#!/usr/bin/env node
// The `ranklog` command. npm links a package's commands when it installs it, which in this
// repository is before anything is built: this committed file is the command, and it runs the
// built CLI (dist/cli.js), or says how to build it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(`ranklog: ${fileURLToPath(cli)} is not built yet; run \`npm run build\` at the repository's root\n`);
  process.exit(1);
}
await import(cli.href);
