/**
 * Which process opened a loopback TCP connection: the proxy sees only
 * 127.0.0.1 and an ephemeral port, so it looks the client's socket up in
 * /proc/net/tcp (by its port pair) and finds the process holding that socket
 * among the PIDs the harness started. Linux only; protocol-agnostic, so it
 * works for our members and for real etcd alike.
 * @module
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** The inode of the socket 127.0.0.1:localPort → 127.0.0.1:remotePort, if it exists. */
export function socketInode(localPort: number, remotePort: number): string | undefined {
  const want = `:${localPort.toString(16).toUpperCase().padStart(4, "0")}`;
  const wantRemote = `:${remotePort.toString(16).toUpperCase().padStart(4, "0")}`;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "latin1");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
      if (f.length < 10) continue;
      if (f[1]!.endsWith(want) && f[2]!.endsWith(wantRemote)) return f[9];
    }
  }
  return undefined;
}

/** The first of `pids` that holds socket `inode` open, if any. */
export function pidHoldingSocket(inode: string, pids: Iterable<number>): number | undefined {
  const target = `socket:[${inode}]`;
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // exited
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return pid;
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}

/** The PID (among `pids`) whose socket connected from `clientPort` to our `serverPort`. */
export function connectionOwner(clientPort: number, serverPort: number, pids: Iterable<number>): number | undefined {
  const inode = socketInode(clientPort, serverPort);
  return inode === undefined ? undefined : pidHoldingSocket(inode, pids);
}
