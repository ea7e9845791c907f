/**
 * A TCP proxy in front of one member's peer port, for partitions and
 * latency. Every connection is attributed to the member that opened it
 * (see socket-owner.ts), so rules can name both ends: "bytes from member a
 * into this member" (in) and "bytes from this member back to a" (out).
 *
 * Blocking is a black hole, as a real partition is: bytes are held (the
 * proxy stops reading, TCP back-pressure does the rest) and delivered if the
 * block is lifted before either side gives up on the connection; new
 * connections are accepted and held the same way. `reset` cuts connections
 * at once instead. Delay holds each chunk for the given time, in order.
 * @module
 */
import * as net from "node:net";

export type Direction = "in" | "out";

export interface ProxyOptions {
  /** Name of the member behind the proxy (for logs). */
  name: string;
  targetPort: number;
  targetHost?: string;
  /** Port to listen on (0: any free port). */
  listenPort?: number;
  /** Names the process that opened a connection, from the client's port. */
  classify?: (clientPort: number, proxyPort: number) => string | undefined;
}

interface Pipe {
  from: string;
  client: net.Socket;
  server: net.Socket;
  bytesIn: number;
  bytesOut: number;
  /** Resumes reading in a direction unless blocked or backed up. */
  resume: Record<Direction, () => void>;
}

const ANY = "*";

export class TcpProxy {
  readonly name: string;
  readonly #options: ProxyOptions;
  readonly #server: net.Server;
  readonly #pipes = new Set<Pipe>();
  /** "from|direction" → blocked. */
  readonly #blocked = new Set<string>();
  #delayMs = new Map<string, number>();
  #port = 0;

  constructor(options: ProxyOptions) {
    this.name = options.name;
    this.#options = options;
    this.#server = net.createServer({ noDelay: true }, (client) => this.#accept(client));
    this.#server.on("error", () => {});
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen({ host: "127.0.0.1", port: this.#options.listenPort ?? 0, exclusive: true }, () => {
        this.#server.off("error", reject);
        resolve();
      });
    });
    this.#port = (this.#server.address() as net.AddressInfo).port;
    return this.#port;
  }

  /** Holds bytes flowing from `from` into this member ("in") or back to it ("out"); `from` "*" is everyone. */
  block(from: string, direction: Direction | "both" = "both"): void {
    for (const d of direction === "both" ? (["in", "out"] as const) : [direction]) this.#blocked.add(`${from}|${d}`);
    this.#apply();
  }

  unblock(from: string, direction: Direction | "both" = "both"): void {
    for (const d of direction === "both" ? (["in", "out"] as const) : [direction]) this.#blocked.delete(`${from}|${d}`);
    this.#apply();
  }

  unblockAll(): void {
    this.#blocked.clear();
    this.#apply();
  }

  /** Adds latency to bytes from `from` (both directions); 0 removes it. */
  setDelay(ms: number, from: string = ANY): void {
    if (ms <= 0) this.#delayMs.delete(from);
    else this.#delayMs.set(from, ms);
  }

  /** Cuts the connections opened by `from` (or all). */
  reset(from: string = ANY): void {
    for (const p of this.#pipes) {
      if (from === ANY || p.from === from) {
        p.client.destroy();
        p.server.destroy();
      }
    }
  }

  connections(): Array<{ from: string; bytesIn: number; bytesOut: number }> {
    return [...this.#pipes].map((p) => ({ from: p.from, bytesIn: p.bytesIn, bytesOut: p.bytesOut }));
  }

  async stop(): Promise<void> {
    this.reset();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #isBlocked(from: string, d: Direction): boolean {
    return this.#blocked.has(`${from}|${d}`) || this.#blocked.has(`${ANY}|${d}`);
  }

  #delayFor(from: string): number {
    return this.#delayMs.get(from) ?? this.#delayMs.get(ANY) ?? 0;
  }

  #accept(client: net.Socket): void {
    const from = this.#options.classify?.(client.remotePort ?? 0, this.#port) ?? "unknown";
    const server = net.connect({ host: this.#options.targetHost ?? "127.0.0.1", port: this.#options.targetPort, noDelay: true });
    const pipe: Pipe = { from, client, server, bytesIn: 0, bytesOut: 0, resume: { in: () => {}, out: () => {} } };
    this.#pipes.add(pipe);
    const close = (): void => {
      client.destroy();
      server.destroy();
      this.#pipes.delete(pipe);
    };
    client.on("error", close).on("close", close);
    server.on("error", close).on("close", close);
    this.#forward(pipe, client, server, "in");
    this.#forward(pipe, server, client, "out");
    this.#applyTo(pipe);
  }

  /** Copies src → dst with back-pressure, optional delay (order kept), and counting. */
  #forward(pipe: Pipe, src: net.Socket, dst: net.Socket, d: Direction): void {
    const queue: Array<{ due: number; chunk: Buffer }> = [];
    let timer: NodeJS.Timeout | undefined;
    const resumeIfAllowed = (): void => {
      if (!this.#isBlocked(pipe.from, d) && queue.length < 16 && dst.writableNeedDrain !== true) src.resume();
    };
    const flush = (): void => {
      timer = undefined;
      const now = performance.now();
      while (queue.length > 0 && queue[0]!.due <= now) dst.write(queue.shift()!.chunk);
      if (queue.length > 0) timer = setTimeout(flush, queue[0]!.due - now);
      resumeIfAllowed();
    };
    src.on("data", (chunk: Buffer) => {
      if (d === "in") pipe.bytesIn += chunk.length;
      else pipe.bytesOut += chunk.length;
      const delay = this.#delayFor(pipe.from);
      if (delay === 0 && queue.length === 0) {
        if (!dst.write(chunk)) src.pause();
        return;
      }
      const last = queue.length > 0 ? queue[queue.length - 1]!.due : 0;
      queue.push({ due: Math.max(performance.now() + delay, last), chunk });
      if (queue.length >= 64) src.pause();
      timer ??= setTimeout(flush, queue[0]!.due - performance.now());
    });
    pipe.resume[d] = resumeIfAllowed;
    dst.on("drain", resumeIfAllowed);
    dst.on("close", () => clearTimeout(timer));
  }

  #apply(): void {
    for (const p of this.#pipes) this.#applyTo(p);
  }

  #applyTo(p: Pipe): void {
    if (this.#isBlocked(p.from, "in")) p.client.pause();
    else p.resume.in();
    if (this.#isBlocked(p.from, "out")) p.server.pause();
    else p.resume.out();
  }
}
