#!/usr/bin/env node
/**
 * ranklog view [savedir…] [--host H] [--port P]
 * Serves the runs of the savedirs (LocalFileLogger's run directories) as a dashboard on
 * 127.0.0.1 and prints the URL; Ctrl-C stops it. Usage errors print one line and exit 2.
 */
import { existsSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startViewServer } from './http/server.js';

const NAME = 'ranklog';
const USAGE = `usage: ${NAME} view [savedir…] [--host HOST] [--port PORT]

A local dashboard of the runs LocalFileLogger wrote: charts per identifier with a curve per rank,
params and final metrics compared across runs, images, text, histograms, artifacts. New rows
appear while training runs. Nothing to install besides this package: no Python, no account.

  [savedir…]      directories holding run directories (default: logs)
  --host HOST     address to listen on (default 127.0.0.1: this machine only; another address
                  shows every run to whoever reaches it)
  --port PORT     port (default 0: a free one)
  -h, --help      this text

Exit status: 0 stopped (Ctrl-C or SIGTERM), 1 the server could not start, 2 usage error.
`;

class UsageError extends Error {}

function parse(): { savedirs: string[]; host: string; port: number } {
  const options = { host: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ allowPositionals: true, options });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}; see ${NAME} view --help`);
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const [command, ...savedirs] = parsed.positionals;
  if (command !== 'view')
    throw new UsageError(
      `${command === undefined ? 'no command' : `unknown command ${JSON.stringify(command)}`}; use ${NAME} view [savedir…] (see ${NAME} --help)`,
    );
  const dirs = savedirs.length > 0 ? savedirs : ['logs'];
  for (const d of dirs) {
    if (!existsSync(d) || !statSync(d).isDirectory())
      throw new UsageError(`savedir ${JSON.stringify(d)} is not a directory; pass the savedir your LocalFileLogger wrote to (its default is logs)`);
  }
  const portText = parsed.values.port ?? '0';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new UsageError(`--port ${JSON.stringify(portText)} is not a port; use 0–65535 (0: a free one)`);
  return { savedirs: dirs, host: parsed.values.host ?? '127.0.0.1', port };
}

async function main(): Promise<void> {
  const { savedirs, host, port } = parse();
  const server = await startViewServer({ savedirs, host, port });
  process.stdout.write(`ranklog view: ${server.url}  (runs of ${savedirs.join(', ')}; Ctrl-C stops)\n`);
  const stop = () => {
    void server.close().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  if (e instanceof UsageError) {
    process.stderr.write(`${NAME}: ${e.message}\n`);
    process.exit(2);
  }
  const err = e as NodeJS.ErrnoException;
  process.stderr.write(
    `${NAME}: ${err.code === 'EADDRINUSE' ? `port in use; pass another --port or 0 for a free one (${err.message})` : (err.stack ?? String(e))}\n`,
  );
  process.exit(1);
});
