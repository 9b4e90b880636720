/**
 * Where rank 0 hosts the job's rendezvous (docs/jobs.md "Address"), first found of:
 *   1. the context option `rendezvous`, else RANKLOG_RENDEZVOUS: 'host:port', '[v6]:port',
 *      'unix:/path', or 'off';
 *   2. MASTER_ADDR:(MASTER_PORT + 1): the torchrun-style address every rank already reaches
 *      (MASTER_PORT itself is the training framework's store);
 *   3. all ranks on one machine with a job id: a Unix socket in the temporary directory, named
 *      by a hash of the job id and the user (so two jobs, or two users, never meet);
 *   4. none: the ranks log on their own (the caller warns, naming RANKLOG_RENDEZVOUS).
 */
import { createHash } from 'node:crypto';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { JobIdentity } from './job-identity.js';

export type RendezvousAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/** How MASTER_PORT is moved so the rendezvous never takes the training framework's own port. */
export const MASTER_PORT_OFFSET = 1;

export function describeAddress(a: RendezvousAddress): string {
  return a.kind === 'unix' ? `unix:${a.path}` : a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

function parseError(source: string, raw: string): TypeError {
  return new TypeError(
    `ranklog: ${source} is ${JSON.stringify(raw)}; use host:port (e.g. 10.0.0.1:29501, a port from 1 to 65535), [ipv6]:port, ` +
      `unix:/path/to.sock, or off. It must be the same in every rank; rank 0 listens on it.`,
  );
}

/** Parse an explicit address; 'off' → null. */
export function parseAddress(raw: string, source: string): RendezvousAddress | null {
  const s = raw.trim();
  if (s === 'off') return null;
  if (s.startsWith('unix:')) {
    const path = s.slice(5);
    if (path === '' || Buffer.byteLength(path) > 100) throw parseError(source, raw); // sun_path holds 108 bytes
    return { kind: 'unix', path };
  }
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([\w.-]+)):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[3]) : 0;
  if (!m || port < 1 || port > 65535) throw parseError(source, raw);
  return { kind: 'tcp', host: (m[1] ?? m[2])!, port };
}

/** The rendezvous address of this job: null when the user turned it off, undefined when none is known (see the list above). */
export function rendezvousAddress(
  job: JobIdentity,
  option: string | false | undefined,
  env: NodeJS.ProcessEnv = process.env,
): RendezvousAddress | null | undefined {
  if (option === false) return null;
  if (option !== undefined) return parseAddress(option, 'the rendezvous option');
  const fromEnv = env.RANKLOG_RENDEZVOUS;
  if (fromEnv !== undefined && fromEnv !== '') return parseAddress(fromEnv, 'environment variable RANKLOG_RENDEZVOUS');
  if (env.MASTER_ADDR && env.MASTER_PORT) {
    const port = Number(env.MASTER_PORT);
    if (!Number.isInteger(port) || port < 1 || port + MASTER_PORT_OFFSET > 65535) {
      throw new TypeError(
        `ranklog: environment variable MASTER_PORT is ${JSON.stringify(env.MASTER_PORT)}; ranklog's rendezvous uses MASTER_PORT+${MASTER_PORT_OFFSET}, ` +
          'so it must be an integer from 1 to 65534. Fix MASTER_PORT, or set RANKLOG_RENDEZVOUS=host:port.',
      );
    }
    return { kind: 'tcp', host: env.MASTER_ADDR, port: port + MASTER_PORT_OFFSET };
  }
  if (job.oneMachine && job.id !== undefined) {
    let user = 'u';
    try {
      user = String(userInfo().uid);
    } catch {
      // no passwd entry (a container): the job id alone keeps jobs apart
    }
    const hash = createHash('sha256').update(`ranklog\0${user}\0${job.id}`).digest('hex').slice(0, 24);
    return { kind: 'unix', path: join(tmpdir(), `ranklog-${hash}.sock`) };
  }
  return undefined;
}
