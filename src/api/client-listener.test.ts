import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../pkg/logger.js";
import { ClientListener, type ClientListenerOptions, type Http2Server } from "./client-listener.js";
import { CLIENT_PREFACE } from "./h2/frames.js";
import { tcpEndpoint } from "./client-endpoints.js";
import { boundPort } from "./listen-socket.js";

/** Short timeouts so the cases end quickly; the bounds asserted below are many times larger. */
const FAST: Partial<ClientListenerOptions> = { prefaceTimeoutMs: 200, headersTimeoutMs: 200, keepAliveTimeoutMs: 200 };
/** Longest wait for something the server should do within a few hundred ms, generous for a loaded machine. */
const BOUND_MS = 10_000;

/** An HTTP/2 side that only records what it was handed and keeps the socket open. */
class RecordingH2 implements Http2Server {
  readonly served: Buffer[] = [];
  serve(socket: Socket, afterPreface: Buffer): void {
    this.served.push(afterPreface);
    socket.resume();
  }
}

interface Warning {
  fields: object;
  msg: string;
}

function recordingLogger(warnings: Warning[]): Logger {
  const logger: Logger = {
    debug() {},
    info() {},
    warn: (fields, msg) => warnings.push({ fields, msg }),
    error() {},
    child: () => logger,
  };
  return logger;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Started {
  port: number;
  h2: RecordingH2;
  handled: string[];
}

/** A listener whose HTTP handler answers "ok" (and streams a request body back to /stream); stopped after the test. */
async function start(options: Partial<ClientListenerOptions> = {}): Promise<Started> {
  const h2 = new RecordingH2();
  const handled: string[] = [];
  const listener = new ClientListener(
    h2,
    (req, res) => {
      handled.push(req.url ?? "");
      if (req.url === "/stream") {
        res.writeHead(200);
        req.on("data", (chunk: Buffer) => res.write(chunk));
        req.on("end", () => res.end());
        return;
      }
      res.end("ok");
    },
    { ...FAST, ...options },
  );
  cleanups.push(() => listener.close());
  const port = boundPort(await listener.listen(tcpEndpoint("127.0.0.1", 0)));
  return { port, h2, handled };
}

interface Client {
  socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves when the server closed the connection (rejects after BOUND_MS). */
  closed: Promise<void>;
  isClosed(): boolean;
}

async function dial(port: number): Promise<Client> {
  const socket = connect(port, "127.0.0.1");
  cleanups.push(() => {
    socket.destroy();
  });
  let received = "";
  let closed = false;
  socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
  socket.on("error", () => {});
  const closedPromise = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`connection still open after ${BOUND_MS} ms`)), BOUND_MS);
    socket.once("close", () => {
      closed = true;
      clearTimeout(timer);
      resolve();
    });
  });
  // A rejection nobody awaits (the case ended first) must not fail the run.
  closedPromise.catch(() => {});
  await once(socket, "connect");
  return { socket, received: () => received, closed: closedPromise, isClosed: () => closed };
}

/** Writes `text` one byte at a time, `gapMs` apart, until the socket closes or the text ends. */
async function trickle(socket: Socket, text: string, gapMs: number): Promise<void> {
  for (const ch of text) {
    if (socket.destroyed) return;
    socket.write(ch);
    await sleep(gapMs);
  }
}

async function get(client: Client, path: string): Promise<void> {
  const before = client.received().length;
  client.socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`);
  const deadline = Date.now() + BOUND_MS;
  while (!client.received().slice(before).includes("\r\n\r\nok")) {
    if (Date.now() > deadline || client.isClosed()) assert.fail(`no answer to GET ${path}: ${JSON.stringify(client.received())}`);
    await sleep(5);
  }
}

describe("ClientListener: deciding the protocol", () => {
  it("a connection that sends nothing is closed after the preface timeout", async () => {
    const { port } = await start();
    const c = await dial(port);
    await c.closed;
    assert.equal(c.received(), "");
  });

  it("a partial HTTP/2 preface is closed after the preface timeout and never reaches the HTTP/2 server", async () => {
    const { port, h2 } = await start();
    const c = await dial(port);
    c.socket.write(CLIENT_PREFACE.subarray(0, 20));
    await c.closed;
    assert.equal(h2.served.length, 0);
  });

  it("a preface trickled byte by byte does not extend the timeout", async () => {
    const { port, h2 } = await start();
    const c = await dial(port);
    void trickle(c.socket, CLIENT_PREFACE.toString("latin1"), 50); // 24 bytes over ~1.2 s, timeout 200 ms
    await c.closed;
    assert.equal(h2.served.length, 0);
  });

  /** Each opening must end the connection at once, unanswered, reaching neither protocol's handler. */
  async function assertClosedUnanswered(openings: string[]): Promise<void> {
    for (const bad of openings) {
      const { port, h2, handled } = await start({ prefaceTimeoutMs: BOUND_MS * 2 });
      const c = await dial(port);
      c.socket.write(bad);
      await c.closed;
      assert.equal(c.received(), "", JSON.stringify(bad));
      assert.deepEqual([h2.served.length, handled.length], [0, 0]);
    }
  }

  it("a bad preface that starts like HTTP/2's is closed at once, not answered as HTTP/1", async () => {
    await assertClosedUnanswered(["PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n", "PRI * HTTP/1.1\r\n\r\n"]);
  });

  it("a first line that is neither the preface nor an HTTP/1 request line is closed at once, unanswered (h2spec 3.5/2)", async () => {
    await assertClosedUnanswered(["INVALID CONNECTION PREFACE\r\n\r\n", "GET / HTTP/2.0\r\n\r\n", "\x00\x01\x02\n", "GET  HTTP/1.1\r\n\r\n"]);
  });

  it("the full preface hands the connection to HTTP/2 with the bytes after it, and the preface timer stops", async () => {
    const { port, h2 } = await start();
    const c = await dial(port);
    c.socket.write(Buffer.concat([CLIENT_PREFACE, Buffer.from("frames")]));
    for (let waited = 0; h2.served.length === 0; waited += 5) {
      assert.ok(waited < BOUND_MS, "not handed over");
      await sleep(5);
    }
    assert.equal(h2.served[0]!.toString(), "frames");
    await sleep(FAST.prefaceTimeoutMs! * 3);
    assert.equal(c.isClosed(), false);
  });

  it("HTTP/1 methods that start with P (POST, PUT) are HTTP/1", async () => {
    const { port, handled } = await start();
    const c = await dial(port);
    c.socket.write("PUT /x HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n");
    for (let waited = 0; !c.received().includes("ok"); waited += 5) {
      assert.ok(waited < BOUND_MS, "no answer");
      await sleep(5);
    }
    assert.deepEqual(handled, ["/x"]);
  });
});

describe("ClientListener: HTTP/1 limits", () => {
  it("a slowloris sending its first request head a byte at a time is closed before the handler sees it", async () => {
    const { port, handled } = await start();
    const c = await dial(port);
    void trickle(c.socket, "GET / HTTP/1.1\r\nHost: test\r\nX-Slow: " + "a".repeat(100) + "\r\n\r\n", 20);
    await c.closed;
    assert.deepEqual(handled, []);
  });

  it("a slowloris on a kept-alive connection is closed too (second request head, or empty lines forever)", async () => {
    for (const slow of ["GET /second HTTP/1.1\r\nHost: test\r\nX-Slow: " + "a".repeat(100) + "\r\n\r\n", "\r\n".repeat(100)]) {
      const { port, handled } = await start();
      const c = await dial(port);
      await get(c, "/first");
      void trickle(c.socket, slow, 20);
      await c.closed;
      assert.deepEqual(handled, ["/first"]);
    }
  });

  it("a kept-alive connection serves request after request, and a request body may stream for longer than every timeout", async () => {
    const { port } = await start();
    const c = await dial(port);
    for (let i = 0; i < 3; i++) {
      await get(c, `/r${i}`);
      await sleep(50);
    }
    // A gateway watch keeps its request body open; it must outlive the header and preface timeouts.
    c.socket.write("POST /stream HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (let i = 0; i < 10; i++) {
      c.socket.write("6\r\nchunk" + i + "\r\n");
      await sleep(100);
    }
    assert.equal(c.isClosed(), false);
    assert.ok(c.received().includes("chunk9"), c.received());
  });

  it("header blocks past 16 KiB are refused with 431", async () => {
    const { port, handled } = await start({ prefaceTimeoutMs: BOUND_MS });
    const c = await dial(port);
    c.socket.write(`GET / HTTP/1.1\r\nHost: test\r\nX-Big: ${"a".repeat(17 * 1024)}\r\n\r\n`);
    await c.closed;
    assert.match(c.received(), /^HTTP\/1\.1 431 /);
    assert.deepEqual(handled, []);
  });
});

describe("ClientListener: connection cap", () => {
  it("refuses connections over maxConnections at accept while the first ones keep working; a freed slot is taken again", async () => {
    const warnings: Warning[] = [];
    const { port } = await start({ maxConnections: 2, prefaceTimeoutMs: BOUND_MS, keepAliveTimeoutMs: BOUND_MS, logger: recordingLogger(warnings) });
    const first = await dial(port);
    const second = await dial(port);
    await get(first, "/a");
    await get(second, "/b");

    const refused = [await dial(port), await dial(port), await dial(port)];
    for (const c of refused) {
      await c.closed;
      assert.equal(c.received(), "");
    }
    await get(first, "/c");
    await get(second, "/d");
    assert.deepEqual(
      warnings.map((w) => [w.msg, w.fields]),
      [["refused client connections over --max-client-connections", { refused: 1, "max-client-connections": 2 }]],
      "one line for a burst of refusals",
    );

    first.socket.destroy();
    await first.closed;
    // The server sees the close a moment after the client: retry until a new connection is served.
    for (let attempt = 0; ; attempt++) {
      const again = await dial(port);
      again.socket.write("GET /e HTTP/1.1\r\nHost: test\r\n\r\n");
      await Promise.race([again.closed, once(again.socket, "data")]);
      if (again.received().includes("ok")) break;
      assert.ok(attempt < 100, "the freed slot was never given to a new connection");
      await sleep(20);
    }
  });

  it("the suppressed refusals are reported once the interval has passed", async () => {
    const warnings: Warning[] = [];
    const { port } = await start({ maxConnections: 1, prefaceTimeoutMs: BOUND_MS, keepAliveTimeoutMs: BOUND_MS, refusalReportIntervalMs: 100, logger: recordingLogger(warnings) });
    const held = await dial(port);
    await get(held, "/held");
    for (let i = 0; i < 3; i++) await (await dial(port)).closed;
    for (let waited = 0; warnings.length < 2; waited += 10) {
      assert.ok(waited < BOUND_MS, JSON.stringify(warnings));
      await sleep(10);
    }
    assert.deepEqual(
      warnings.map((w) => (w.fields as { refused: number }).refused),
      [1, 2],
    );
  });

  it("0 means no limit", async () => {
    const { port } = await start({ maxConnections: 0, prefaceTimeoutMs: BOUND_MS, keepAliveTimeoutMs: BOUND_MS });
    const clients = await Promise.all(Array.from({ length: 20 }, () => dial(port)));
    for (const [i, c] of clients.entries()) await get(c, `/${i}`);
  });
});
