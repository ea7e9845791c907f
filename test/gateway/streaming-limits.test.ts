/**
 * Hostile and broken bodies on the gateway: none may stall other clients,
 * hold unbounded memory or end the process.
 *
 * - A 4 MB chunked POST to /v3/watch (10,000 watch requests, or one huge
 *   request) is handled in bounded time while a probe's /v3/kv/range keeps
 *   answering (it used to stall every client for ~16 s: the body was
 *   rescanned on every chunk).
 * - One streamed request past the message limit gets real etcd's answer
 *   (429, ResourceExhausted, grpc-go's words); past the gateway's JSON limit
 *   it is refused before it is read whole.
 * - 100 MB bodies of one unterminated string, of `[[[[…`, of whitespace, and
 *   a unary body declared 1 GB long: the server's resident memory stays
 *   under a stated bound.
 * - A gzip body is read as the JSON it is not, as by real etcd.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request, type ClientRequest, type IncomingMessage } from "node:http";
import { startServer, type ServerProcess } from "../harness/server-process.js";
import { b64, post } from "./http-client.js";

/** Resident memory the hostile bodies may add to the server, above its size once warmed up. */
const RSS_GROWTH_BOUND_MB = 96;
/** How long a probe's range may take while the big bodies are read (a loaded 2-core CI machine; it was ~16 s). */
const PROBE_BOUND_MS = 2_000;
const CHUNK = 16 * 1024;

const servers: { real?: ServerProcess; ours?: ServerProcess } = {};
const base = (s: ServerProcess | undefined): string => s!.clientUrl;

before(async () => {
  [servers.real, servers.ours] = await Promise.all([startServer({ flavor: "real" }), startServer({ flavor: "ours" })]);
});

after(async () => {
  await Promise.all([servers.real?.stop(), servers.ours?.stop()]);
});

function vmRssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) / 1024;
}

/** Ranges a key every 50 ms until stopped; reports the slowest answer. */
function startProbe(url: string): { stop(): Promise<number> } {
  let running = true;
  let slowest = 0;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const r = await post(url, "/v3/kv/range", { key: b64("probe") });
      assert.equal(r.status, 200, r.body);
      slowest = Math.max(slowest, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return slowest;
    },
  };
}

/** A chunked POST whose body is written piece by piece, honouring back-pressure; the answer is read as it comes. */
class StreamingPost {
  readonly #req: ClientRequest;
  readonly response: Promise<IncomingMessage>;
  #text = "";
  #ended = false;
  #onText: (() => void) | undefined;
  #onEnd: (() => void) | undefined;

  constructor(url: string, path: string, headers: Record<string, string> = {}) {
    this.#req = request(`${url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers } });
    this.#req.on("error", () => undefined); // the server may close the connection on us once it has answered
    this.response = new Promise((resolve) => {
      this.#req.on("response", (res) => {
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          this.#text += chunk;
          this.#onText?.();
        });
        res.on("end", () => {
          this.#ended = true;
          this.#onText?.();
          this.#onEnd?.();
        });
        res.on("error", () => undefined);
        resolve(res);
      });
    });
  }

  /** Writes `total` bytes made by `piece(i)`; stops early once the server has answered and ended, or the socket is gone. */
  async write(total: number, piece: (offset: number) => Buffer): Promise<number> {
    let written = 0;
    while (written < total && !this.#ended && !this.#req.destroyed) {
      const chunk = piece(written).subarray(0, total - written);
      written += chunk.length;
      if (!this.#req.write(chunk)) await this.#writable();
    }
    return written;
  }

  /** Writes `chunk`; false when it was not taken within `ms` (the server reads no more). */
  async writeWithin(chunk: Buffer, ms: number): Promise<boolean> {
    if (this.#req.write(chunk)) return true;
    let timer: NodeJS.Timeout | undefined;
    const taken = await Promise.race([
      this.#writable().then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
    ]);
    clearTimeout(timer);
    return taken;
  }

  /** Until the request drains, or its socket closes, or the answer has ended. */
  #writable(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.#req.off("drain", done);
        this.#req.off("close", done);
        this.#onEnd = undefined;
        resolve();
      };
      this.#req.on("drain", done);
      this.#req.on("close", done);
      this.#onEnd = done;
    });
  }

  end(): void {
    if (!this.#req.destroyed) this.#req.end();
  }

  /** The answer's lines so far, once `ready(lines)` holds or the answer ended; rejects after `timeoutMs`. */
  async until(ready: (lines: string[]) => boolean, timeoutMs: number): Promise<string[]> {
    const lines = (): string[] => this.#text.split("\n").filter((l) => l !== "");
    const deadline = Date.now() + timeoutMs;
    while (!ready(lines()) && !this.#ended) {
      if (Date.now() > deadline) throw new Error(`answer not complete in ${timeoutMs} ms: ${this.#text.slice(0, 300)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 200);
        this.#onText = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    return lines();
  }

  close(): void {
    this.#req.destroy();
  }
}

/** `n` watch requests, each padded with whitespace to `size` bytes. */
function watchRequests(n: number, size: number): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const json = JSON.stringify({ create_request: { key: b64(`w/${String(i).padStart(6, "0")}`) } });
    parts.push(json.padEnd(size - 1, " ") + "\n");
  }
  return Buffer.from(parts.join(""));
}

test("a 4 MB chunked /v3/watch body of 10,000 requests is handled in bounded time while other clients are served", { timeout: 300_000 }, async () => {
  const url = base(servers.ours);
  const body = watchRequests(10_000, 400);
  const probe = startProbe(url);
  const started = performance.now();
  const watch = new StreamingPost(url, "/v3/watch");
  await watch.write(body.length, (at) => body.subarray(at, at + CHUNK));
  const lines = await watch.until((l) => l.length >= 10_000, 240_000);
  const ms = performance.now() - started;
  watch.close();
  const slowest = await probe.stop();
  console.log(`10,000 watch requests (4 MB) answered in ${ms.toFixed(0)} ms; slowest probe range ${slowest.toFixed(0)} ms (bound ${PROBE_BOUND_MS})`);
  assert.equal(lines.length, 10_000);
  assert.ok(lines.every((l) => (JSON.parse(l) as { result: { created?: boolean } }).result.created === true));
  assert.ok(slowest < PROBE_BOUND_MS, `a probe waited ${slowest.toFixed(0)} ms`);
});

test("one 4 MB watch request gets real etcd's answer (429, grpc-go's words), and other clients are served meanwhile", { timeout: 120_000 }, async () => {
  // 3,000,000 key bytes: 4 MB of JSON, under the gateway's JSON limit; the server refuses the message.
  const body = Buffer.from(JSON.stringify({ create_request: { key: Buffer.alloc(3_000_000, "k").toString("base64") } }));
  const answers: { status: number; body: string }[] = [];
  let slowest = 0;
  for (const server of [servers.real, servers.ours]) {
    const probe = startProbe(base(server));
    const watch = new StreamingPost(base(server), "/v3/watch");
    await watch.write(body.length, (at) => body.subarray(at, at + CHUNK));
    watch.end();
    const res = await watch.response;
    const lines = await watch.until(() => false, 60_000);
    watch.close();
    if (server === servers.ours) slowest = await probe.stop();
    else await probe.stop();
    answers.push({ status: res.statusCode ?? 0, body: lines.join("\n") });
  }
  const [real, ours] = answers;
  assert.equal(real!.status, 429, real!.body);
  assert.deepEqual(ours, real);
  assert.ok(slowest < PROBE_BOUND_MS, `a probe waited ${slowest.toFixed(0)} ms`);
});

test("a streamed request past the gateway's JSON limit is refused before it is read whole, as the server refuses a large one", { timeout: 120_000 }, async () => {
  const key = Buffer.alloc(16_000_000, "k").toString("base64");
  const body = Buffer.from(`{"create_request":{"key":"YQ=="}}\n{"create_request":{"key":"${key}"}}`);
  const watch = new StreamingPost(base(servers.ours), "/v3/watch");
  const written = await watch.write(body.length, (at) => body.subarray(at, at + CHUNK));
  const lines = await watch.until(() => false, 60_000);
  watch.close();
  assert.ok(written < body.length, `all ${written} bytes were read`);
  const last = JSON.parse(lines.at(-1)!) as { error: { grpc_code: number; http_code: number; message: string } };
  assert.equal(last.error.grpc_code, 8, lines.join("\n"));
  assert.equal(last.error.http_code, 429);
  assert.match(last.error.message, /^grpc: received message larger than max \(\d+ vs\. 2097152\)$/);
});

test("100 MB hostile bodies — one unterminated string, '[[[[…', whitespace forever — and a unary body declared 1 GB hold bounded memory", { timeout: 300_000 }, async () => {
  const url = base(servers.ours);
  const pid = servers.ours!.pid;
  // Warm up (the gateway's gRPC channel, JIT) before the baseline.
  await post(url, "/v3/kv/put", { key: b64("probe"), value: b64("v") });
  const baseline = vmRssMb(pid);
  let peak = baseline;
  const sample = setInterval(() => (peak = Math.max(peak, vmRssMb(pid))), 100);
  const probe = startProbe(url);
  const HUNDRED_MB = 100 * 1024 * 1024;
  try {
    // One string that never ends: refused at the limit with the server's answer for a large message.
    const string = new StreamingPost(url, "/v3/watch");
    const a = Buffer.alloc(CHUNK, "a");
    const stringWritten = await string.write(HUNDRED_MB, (at) => (at === 0 ? Buffer.concat([Buffer.from('{"create_request":{"key":"'), a]) : a));
    const stringAnswer = await string.until(() => false, 60_000);
    string.close();
    assert.ok(stringWritten < HUNDRED_MB, "the body was read to its end");
    assert.equal((JSON.parse(stringAnswer[0]!) as { error: { grpc_code: number } }).error.grpc_code, 8, stringAnswer[0]);

    // Nesting: Go's depth error within the first bytes.
    const nested = new StreamingPost(url, "/v3/watch");
    const brackets = Buffer.alloc(CHUNK, "[");
    await nested.write(HUNDRED_MB, () => brackets);
    const nestedAnswer = await nested.until(() => false, 60_000);
    nested.close();
    assert.match(nestedAnswer.join(""), /exceeded max depth/);

    // Whitespace forever, then a request: all of it read, nothing of it kept, the request answered.
    const spaces = new StreamingPost(url, "/v3/watch");
    const blank = Buffer.alloc(CHUNK, " \n");
    assert.equal(await spaces.write(HUNDRED_MB, () => blank), HUNDRED_MB);
    await spaces.write(100, () => Buffer.from(JSON.stringify({ create_request: { key: b64("after-spaces") } })));
    const created = await spaces.until((l) => l.length > 0, 60_000);
    spaces.close();
    assert.equal((JSON.parse(created[0]!) as { result: { created: boolean } }).result.created, true);

    // A unary body declared 1 GB long that sends 10 bytes and waits: the server holds 10 bytes.
    const declared = new StreamingPost(url, "/v3/kv/put", { "content-length": String(1024 ** 3) });
    await declared.write(10, () => Buffer.from('{"key":"a"'));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    declared.close();

    // A unary body past the limit: refused once the limit is passed, not after 100 MB.
    const unary = new StreamingPost(url, "/v3/kv/put");
    const value = Buffer.alloc(CHUNK, "A");
    const unaryWritten = await unary.write(HUNDRED_MB, (at) => (at === 0 ? Buffer.concat([Buffer.from('{"key":"YQ==","value":"'), value]) : value));
    const res = await unary.response;
    const unaryAnswer = await unary.until(() => false, 60_000);
    unary.close();
    assert.equal(res.statusCode, 429, unaryAnswer.join(""));
    assert.match(unaryAnswer[0]!, /"code":8/);
    assert.ok(unaryWritten < HUNDRED_MB, "the unary body was read to its end");
  } finally {
    clearInterval(sample);
    const slowest = await probe.stop();
    console.log(`server VmRSS ${baseline.toFixed(0)} MiB at start, peak ${peak.toFixed(0)} MiB (bound +${RSS_GROWTH_BOUND_MB}); slowest probe ${slowest.toFixed(0)} ms`);
  }
  assert.ok(peak - baseline < RSS_GROWTH_BOUND_MB, `the server grew by ${(peak - baseline).toFixed(0)} MiB`);
});

test("a client that streams requests and never reads the answers is held back, and the server's memory stays bounded", { timeout: 120_000 }, async () => {
  const url = base(servers.ours);
  const pid = servers.ours!.pid;
  const baseline = vmRssMb(pid);
  let peak = baseline;
  const watch = new StreamingPost(url, "/v3/watch");
  void watch.response.then((res) => res.pause()); // never read
  const requests = Buffer.from('{"progress_request":{}}\n'.repeat(4096));
  let written = 0;
  const started = Date.now();
  // Write for up to 20 s, or until the body has not been taken for 2 s.
  while (Date.now() - started < 20_000) {
    const taken = await watch.writeWithin(requests, 2_000);
    written += requests.length;
    peak = Math.max(peak, vmRssMb(pid));
    if (!taken) break;
  }
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  peak = Math.max(peak, vmRssMb(pid));
  watch.close();
  console.log(`a non-reading client wrote ${(written / 2 ** 20).toFixed(0)} MiB of requests; server VmRSS ${baseline.toFixed(0)} → peak ${peak.toFixed(0)} MiB (bound +${RSS_GROWTH_BOUND_MB})`);
  assert.ok(peak - baseline < RSS_GROWTH_BOUND_MB, `the server grew by ${(peak - baseline).toFixed(0)} MiB`);
});

test("a body sent with Content-Encoding: gzip is not decompressed, as by real etcd", { timeout: 60_000 }, async () => {
  const { gzipSync } = await import("node:zlib");
  const gz = gzipSync(JSON.stringify({ key: b64("k") }));
  const [real, ours] = await Promise.all(
    [servers.real, servers.ours].map(
      (s) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = request(`${base(s)}/v3/kv/range`, { method: "POST", headers: { "content-encoding": "gzip" } }, (res) => {
            let text = "";
            res.setEncoding("utf8");
            res.on("data", (c: string) => (text += c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
          });
          req.on("error", reject);
          req.end(gz);
        }),
    ),
  );
  assert.equal(real!.status, 400, real!.body);
  assert.deepEqual(ours, real);
});
