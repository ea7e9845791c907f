/** Free loopback ports for servers started by tests. */
import { createServer } from "node:net";

/**
 * Ports this process has handed out already. The kernel may offer a port
 * again once it is closed, and servers started later bind theirs only when
 * they start: without this, two members of one cluster could get the same port.
 */
const handedOut = new Set<number>();

/** A TCP port on 127.0.0.1 that was free a moment ago and not handed out before by this process. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await probePort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

/**
 * Ports are drawn below Linux's ephemeral range (32768–60999 by default),
 * where the kernel picks the source ports of outgoing connections: a port
 * from that range, free when probed, can be taken by some member's outgoing
 * peer connection before the server that was given it binds it (seen in CI
 * as EADDRINUSE on a member's client port).
 */
const LOW_PORT = 15_000;
const HIGH_PORT = 32_767;

/** A port that is free now: a random one below the ephemeral range if one binds, else one the kernel picks. */
async function probePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = LOW_PORT + Math.floor(Math.random() * (HIGH_PORT - LOW_PORT + 1));
    if (await bindsNow(port)) return port;
  }
  return kernelPort();
}

function bindsNow(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Bind to 0, read the port the kernel chose, close. */
function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("no port"));
        return;
      }
      const port = address.port;
      server.close(() => resolve(port));
    });
  });
}

export async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}
