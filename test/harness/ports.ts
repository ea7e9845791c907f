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

/** A port that is free now (bind to 0, read, close). */
function probePort(): Promise<number> {
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
