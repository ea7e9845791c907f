/**
 * A Duplex in front of a client socket that passes the client's HTTP/2
 * frames through {@link AuthorityRewriter} on the way in and the server's
 * bytes through unchanged on the way out. Back-pressure is kept in both
 * directions.
 * @module
 */
import { Duplex } from "node:stream";
import type { Socket } from "node:net";
import { AuthorityRewriter } from "./authority-fix.js";

/** `acksToDrop`: SETTINGS ACKs of the client to swallow (answers to the listener's own SETTINGS). */
export function rewritingSocket(socket: Socket, head: Buffer, prefaceLength: number, acksToDrop: number): Duplex {
  const rewriter = new AuthorityRewriter(acksToDrop);
  const duplex: Duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      socket.write(chunk, callback);
    },
    final(callback) {
      socket.end();
      callback();
    },
    destroy(err, callback) {
      socket.destroy(err ?? undefined);
      callback(err);
    },
  });
  const deliver = (chunk: Buffer): void => {
    let more = true;
    for (const frame of rewriter.push(chunk)) more = duplex.push(frame) && more;
    if (!more) socket.pause();
  };
  duplex.push(head.subarray(0, prefaceLength));
  deliver(head.subarray(prefaceLength));
  socket.on("data", deliver);
  socket.on("end", () => duplex.push(null));
  socket.on("close", () => duplex.destroy());
  socket.on("error", (err) => duplex.destroy(err));
  // Node's HTTP/2 reads remote address details from the socket it is given.
  Object.defineProperties(duplex, {
    remoteAddress: { get: () => socket.remoteAddress },
    remotePort: { get: () => socket.remotePort },
    remoteFamily: { get: () => socket.remoteFamily },
    localAddress: { get: () => socket.localAddress },
    localPort: { get: () => socket.localPort },
  });
  return duplex;
}
