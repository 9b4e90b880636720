// Sum-allreduce of a Float64Array across processes over TCP: a star around rank 0.
//
// Rank 0 listens on host:port; every other rank connects and says its rank (4 bytes). A call:
// each member sends its vector (length × 8 bytes); rank 0 waits for all of them, then sends every
// member all ranks' vectors concatenated in rank order; every rank sums them in rank order itself.
// Every rank adds the same numbers in the same order, so every rank gets bit-identical results
// (the same guarantee as examples/src/mlp/allreduce.ts for threads). Vectors travel in the host's
// byte order: all ranks must share it (every x86-64 and arm64 machine does).
import { createServer, type Server, type Socket, connect } from 'node:net';

/** Reads exact byte counts from a socket; rejects when the peer closes or errors. */
class ExactReader {
  private chunks: Buffer[] = [];
  private have = 0;
  private waiting: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  private error: Error | undefined;

  constructor(
    readonly socket: Socket,
    /** Who is at the other end, for the error message. */
    public what: string,
  ) {
    socket.on('data', (b: Buffer) => {
      this.chunks.push(b);
      this.have += b.length;
      this.pump();
    });
    const fail = (e?: Error) => {
      this.error ??= new Error(`allreduce: ${this.what} closed the connection${e ? ` (${e.message})` : ''}: that rank died or failed`);
      this.waiting?.reject(this.error);
      this.waiting = undefined;
    };
    socket.on('error', fail);
    socket.on('close', () => fail());
  }

  read(n: number): Promise<Buffer> {
    if (this.waiting) throw new Error('allreduce: one read at a time');
    return new Promise((resolve, reject) => {
      this.waiting = { n, resolve, reject };
      this.pump();
    });
  }

  private pump(): void {
    const w = this.waiting;
    if (!w) return;
    if (this.have >= w.n) {
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      this.chunks = all.length > w.n ? [all.subarray(w.n)] : [];
      this.have -= w.n;
      this.waiting = undefined;
      w.resolve(all.subarray(0, w.n));
    } else if (this.error) {
      this.waiting = undefined;
      w.reject(this.error);
    }
  }
}

function bytesOf(vec: Float64Array): Buffer {
  return Buffer.from(vec.buffer, vec.byteOffset, vec.byteLength);
}

export interface AllreduceOptions {
  rank: number;
  worldSize: number;
  host: string;
  port: number;
  /** How long a member keeps retrying to reach rank 0, and rank 0 waits for every member. */
  connectTimeoutMs?: number;
}

export class TcpAllreduce {
  private constructor(
    private readonly o: AllreduceOptions,
    /** Rank 0: one reader per member, index = rank (index 0 unused). Members: one reader, to rank 0. */
    private readonly peers: ExactReader[],
    private readonly server?: Server,
  ) {}

  static async connect(o: AllreduceOptions): Promise<TcpAllreduce> {
    const timeoutMs = o.connectTimeoutMs ?? 60_000;
    if (o.worldSize === 1) return new TcpAllreduce(o, []);
    return o.rank === 0 ? TcpAllreduce.host(o, timeoutMs) : TcpAllreduce.join(o, timeoutMs);
  }

  private static host(o: AllreduceOptions, timeoutMs: number): Promise<TcpAllreduce> {
    return new Promise((resolve, reject) => {
      const peers: ExactReader[] = [];
      let joined = 0;
      const timer = setTimeout(() => {
        server.close();
        reject(new Error(`allreduce: only ${joined} of ${o.worldSize - 1} ranks reached ${o.host}:${o.port} in ${timeoutMs} ms`));
      }, timeoutMs);
      const server = createServer((socket) => {
        socket.setNoDelay(true);
        const reader = new ExactReader(socket, 'a rank');
        reader.read(4).then((b) => {
          const r = b.readUInt32BE(0);
          if (r < 1 || r >= o.worldSize || peers[r]) return socket.destroy(new Error(`unexpected rank ${r}`));
          reader.what = `rank ${r}`;
          peers[r] = reader; // keeps any bytes that came after the hello
          if (++joined === o.worldSize - 1) {
            clearTimeout(timer);
            resolve(new TcpAllreduce(o, peers, server));
          }
        }, reject);
      });
      server.on('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`allreduce: rank 0 cannot listen on ${o.host}:${o.port} (${e.message}); pass another --port`));
      });
      server.listen(o.port, o.host);
    });
  }

  private static async join(o: AllreduceOptions, timeoutMs: number): Promise<TcpAllreduce> {
    const deadline = Date.now() + timeoutMs;
    for (let wait = 50; ; wait = Math.min(wait * 2, 1000)) {
      try {
        const socket = await new Promise<Socket>((resolve, reject) => {
          const s = connect(o.port, o.host, () => resolve(s));
          s.once('error', reject);
        });
        socket.setNoDelay(true);
        const hello = Buffer.alloc(4);
        hello.writeUInt32BE(o.rank, 0);
        socket.write(hello);
        return new TcpAllreduce(o, [new ExactReader(socket, 'rank 0')]);
      } catch (e) {
        // Rank 0 may still be starting: retry until the deadline.
        if (Date.now() + wait > deadline) throw new Error(`allreduce: rank ${o.rank} cannot reach rank 0 at ${o.host}:${o.port} (${(e as Error).message})`);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  /** Every rank's vector, in rank order (the same on every rank). Every rank passes the same length. */
  async allgather(vec: Float64Array): Promise<Float64Array[]> {
    const { rank, worldSize } = this.o;
    const length = vec.length;
    const all = new Float64Array(worldSize * length);
    if (worldSize === 1) {
      all.set(vec);
    } else if (rank === 0) {
      all.set(vec, 0);
      const parts = await Promise.all(this.peers.slice(1).map((p) => p.read(length * 8)));
      parts.forEach((b, i) => {
        bytesOf(all.subarray((i + 1) * length, (i + 2) * length)).set(b);
      });
      const out = bytesOf(all);
      for (const p of this.peers.slice(1)) p.socket.write(out);
    } else {
      const p = this.peers[0]!;
      p.socket.write(Buffer.from(bytesOf(vec))); // a copy: the caller may change vec before the write leaves
      bytesOf(all).set(await p.read(worldSize * length * 8));
    }
    return Array.from({ length: worldSize }, (_, r) => all.subarray(r * length, (r + 1) * length));
  }

  /** vec ← Σ over ranks of vec, in place, summed in rank order on every rank. */
  async sum(vec: Float64Array): Promise<void> {
    const parts = await this.allgather(vec);
    vec.set(parts[0]!);
    for (let r = 1; r < parts.length; r++) {
      const p = parts[r]!;
      for (let i = 0; i < vec.length; i++) vec[i]! += p[i]!;
    }
  }

  close(): void {
    for (const p of this.peers) p?.socket.end();
    this.server?.close();
  }
}
