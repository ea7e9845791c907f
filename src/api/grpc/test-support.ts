/**
 * For tests: our gRPC server listening on 127.0.0.1 (a free port), behind a
 * plain net server that reads the client preface as the client listener
 * does, and that keeps the server-side sockets for tests to look at.
 * @module
 */
import { once } from "node:events";
import { createServer, type Socket } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { CLIENT_PREFACE } from "../h2/frames.js";
import type { Method } from "../rpc/methods.js";
import { GrpcServer } from "./server.js";

export interface ListeningForTest {
  port: number;
  /** "127.0.0.1:port", for a grpc-js client. */
  address: string;
  /** Server-side sockets open now. */
  sockets: Set<Socket>;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Shuts the gRPC server down and closes every socket and the listener. */
  close(): Promise<void>;
}

/** Serves `grpcServer` on a free loopback port; a connection that does not open with the HTTP/2 preface is dropped. */
export async function listenForTest(grpcServer: GrpcServer): Promise<ListeningForTest> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const net = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      if (head.length < CLIENT_PREFACE.length) return;
      socket.off("data", onData);
      socket.pause();
      if (!head.subarray(0, CLIENT_PREFACE.length).equals(CLIENT_PREFACE)) socket.destroy();
      else grpcServer.serve(socket, head.subarray(CLIENT_PREFACE.length));
    };
    socket.on("data", onData);
  });
  net.listen(0, "127.0.0.1");
  await once(net, "listening");
  const port = (net.address() as { port: number }).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    sockets,
    get accepted() {
      return accepted;
    },
    close: async () => {
      grpcServer.forceShutdown();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => net.close(() => resolve()));
    },
  };
}

export interface ServedForTest {
  client: grpc.Client;
  close(): Promise<void>;
}

/** Serves `methods` (see bindService) on a free loopback port, with a grpc-js client connected to it. */
export async function serveForTest(methods: readonly Method[]): Promise<ServedForTest> {
  const server = new GrpcServer({ maxConcurrentStreams: 100, keepaliveIntervalMs: 0, keepaliveTimeoutMs: 20_000, maxReceiveBytes: 1 << 20 });
  server.addMethods(methods);
  const listening = await listenForTest(server);
  const client = new grpc.Client(listening.address, grpc.credentials.createInsecure());
  return {
    client,
    close: async () => {
      client.close();
      await listening.close();
    },
  };
}

/** Polls `cond` every 10 ms for up to 5 s. */
export async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

/** A header source whose leader-loss listeners the test fires itself. */
export function leaderLossSource(header: { clusterId: bigint; memberId: bigint; revision: bigint; raftTerm: bigint }) {
  const listeners = new Set<() => void>();
  return {
    listeners,
    source: {
      header: () => header,
      hasLeader: () => true,
      onLeaderLost: (l: () => void) => {
        listeners.add(l);
        return () => {
          listeners.delete(l);
        };
      },
    },
  };
}
