/**
 * For tests: services served by our gRPC server behind a client listener on
 * 127.0.0.1 (a free port), with a grpc-js client connected to it.
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import { ClientListener } from "../client-listener.js";
import { GrpcServer, type ServiceDefinition, type ServiceImplementation } from "./server.js";

export interface ServedForTest {
  client: grpc.Client;
  close(): Promise<void>;
}

export async function serveForTest(services: readonly (readonly [unknown, unknown])[]): Promise<ServedForTest> {
  const server = new GrpcServer({ maxConcurrentStreams: 100, keepaliveIntervalMs: 0, keepaliveTimeoutMs: 20_000, maxReceiveBytes: 1 << 20 });
  for (const [definition, implementation] of services) server.addService(definition as ServiceDefinition, implementation as ServiceImplementation);
  const listener = new ClientListener(server, (_req, res) => res.end());
  const bound = await listener.listen({ host: "127.0.0.1", port: 0 });
  const client = new grpc.Client(`${bound.host}:${bound.port}`, grpc.credentials.createInsecure());
  return {
    client,
    close: async () => {
      client.close();
      server.forceShutdown();
      await listener.close();
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
