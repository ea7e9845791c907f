import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as net from "node:net";
import { connectionOwner } from "./socket-owner.js";
import { TcpProxy } from "./tcp-proxy.js";

/** An echo server that answers each chunk upper-cased. */
async function echoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("data", (c) => s.write(c.toString("utf8").toUpperCase()));
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: "127.0.0.1" }, () => resolve(s));
    s.on("error", reject);
  });
}

/** Resolves with everything received once `length` characters arrived. */
function receive(s: net.Socket, length: number, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = "";
    const timer = setTimeout(() => reject(new Error(`only got ${JSON.stringify(got)}`)), timeoutMs);
    const onData = (c: Buffer): void => {
      got += c.toString("utf8");
      if (got.length >= length) {
        clearTimeout(timer);
        s.off("data", onData);
        resolve(got);
      }
    };
    s.on("data", onData);
  });
}

/** True when nothing arrives on `s` within `ms`. */
function silentFor(s: net.Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const onData = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      s.off("data", onData);
      resolve(true);
    }, ms);
    s.once("data", onData);
  });
}

test("forwards both ways, holds bytes while blocked and delivers them in order once healed", async () => {
  const echo = await echoServer();
  const proxy = new TcpProxy({ name: "b", targetPort: echo.port, classify: () => "a" });
  await proxy.start();
  const s = await connect(proxy.port);
  try {
    s.write("hello");
    assert.equal(await receive(s, 5), "HELLO");
    proxy.block("a", "in");
    s.write("one,");
    s.write("two");
    assert.equal(await silentFor(s, 150), true, "nothing crosses a blocked link");
    proxy.unblock("a", "in");
    assert.equal(await receive(s, 7), "ONE,TWO");
    proxy.block("a", "out");
    s.write("three");
    assert.equal(await silentFor(s, 150), true, "answers are held too");
    proxy.unblockAll();
    assert.equal(await receive(s, 5), "THREE");
    // Another member's connections are not affected by a rule for "a".
    proxy.block("c");
    s.write("four");
    assert.equal(await receive(s, 4), "FOUR");
    assert.deepEqual(proxy.connections().map((c) => c.from), ["a"]);
    assert.ok(proxy.connections()[0]!.bytesIn >= 5 + 7 + 5 + 4);
  } finally {
    s.destroy();
    await proxy.stop();
    await echo.close();
  }
});

test("delay adds latency in order; reset cuts connections", async () => {
  const echo = await echoServer();
  const proxy = new TcpProxy({ name: "b", targetPort: echo.port });
  await proxy.start();
  const s = await connect(proxy.port);
  try {
    proxy.setDelay(100);
    const started = performance.now();
    for (let i = 0; i < 10; i++) s.write(String(i));
    assert.equal(await receive(s, 10), "0123456789");
    const rtt = performance.now() - started;
    assert.ok(rtt >= 190, `round trip ${rtt.toFixed(0)} ms with 100 ms each way`);
    proxy.setDelay(0);
    const closed = new Promise<void>((r) => s.once("close", () => r()));
    proxy.reset();
    await closed;
  } finally {
    s.destroy();
    await proxy.stop();
    await echo.close();
  }
});

test("connections are attributed to the process that opened them", async () => {
  const echo = await echoServer();
  const pids = new Map<number, string>();
  const proxy = new TcpProxy({
    name: "target",
    targetPort: echo.port,
    classify: (clientPort, proxyPort) => {
      const pid = connectionOwner(clientPort, proxyPort, pids.keys());
      return pid === undefined ? undefined : pids.get(pid);
    },
  });
  await proxy.start();
  // Two child processes connect and wait for their answer.
  const child = (name: string) => {
    const script = `const s=require("net").connect(${proxy.port},"127.0.0.1",()=>s.write(${JSON.stringify(name)}));s.on("data",d=>{process.stdout.write(d);s.end();});`;
    const p = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    pids.set(p.pid!, name);
    let out = "";
    p.stdout.on("data", (c: Buffer) => (out += c.toString()));
    return new Promise<string>((resolve) => p.on("close", () => resolve(out)));
  };
  try {
    proxy.block("beta");
    const alpha = child("alpha");
    const beta = child("beta");
    assert.equal(await alpha, "ALPHA");
    // beta's connection is held; alpha's is gone once its close has been seen.
    const deadline = Date.now() + 5_000;
    while (JSON.stringify(proxy.connections().map((c) => c.from)) !== '["beta"]' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.deepEqual(
      proxy.connections().map((c) => c.from),
      ["beta"],
    );
    proxy.unblockAll();
    assert.equal(await beta, "BETA");
  } finally {
    await proxy.stop();
    await echo.close();
  }
});
