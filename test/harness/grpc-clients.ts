/**
 * Raw gRPC clients built from our generated service definitions, with
 * promise-returning unary calls. Tests use them to send exact requests and
 * read exact responses (and errors: code + message) from either server.
 */
import * as grpc from "@grpc/grpc-js";
import { readFileSync } from "node:fs";
import { ClusterClient, KVClient, MaintenanceClient } from "../../src/gen/etcdserverpb/rpc.js";

export interface RpcError {
  code: number;
  message: string;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: RpcError };

type UnaryFn<Req, Res> = (req: Req, callback: (err: grpc.ServiceError | null, res: Res) => void) => grpc.ClientUnaryCall;

/** Calls a generated unary method and turns its callback into an Outcome (never rejects for RPC errors). */
export function call<Req, Res>(client: grpc.Client, method: UnaryFn<Req, Res>, req: Req): Promise<Outcome<Res>> {
  return new Promise((resolve) => {
    method.call(client, req, (err, res) => {
      if (err) resolve({ ok: false, error: { code: err.code, message: err.details } });
      else resolve({ ok: true, value: res });
    });
  });
}

/** Like {@link call} but throws on an RPC error. */
export async function mustCall<Req, Res>(client: grpc.Client, method: UnaryFn<Req, Res>, req: Req): Promise<Res> {
  const outcome = await call(client, method, req);
  if (!outcome.ok) throw new Error(`rpc failed: ${outcome.error.code} ${outcome.error.message}`);
  return outcome.value;
}

export interface Clients {
  kv: InstanceType<typeof KVClient>;
  maintenance: InstanceType<typeof MaintenanceClient>;
  cluster: InstanceType<typeof ClusterClient>;
  close(): void;
}

/** PEM files for a TLS connection: the CA to trust and, for client-certificate auth, a certificate and key. */
export interface ClientTlsFiles {
  ca: string;
  cert?: string;
  key?: string;
}

export function connect(endpoint: string, tls?: ClientTlsFiles): Clients {
  const credentials = tls === undefined ? grpc.credentials.createInsecure() : sslCredentials(tls);
  const options = { "grpc.max_receive_message_length": -1, "grpc.max_send_message_length": -1 };
  const kv = new KVClient(endpoint, credentials, options);
  const maintenance = new MaintenanceClient(endpoint, credentials, options);
  const cluster = new ClusterClient(endpoint, credentials, options);
  return {
    kv,
    maintenance,
    cluster,
    close() {
      kv.close();
      maintenance.close();
      cluster.close();
    },
  };
}

export function sslCredentials(tls: ClientTlsFiles): grpc.ChannelCredentials {
  const read = (path: string | undefined): Buffer | null => (path === undefined ? null : readFileSync(path));
  return grpc.credentials.createSsl(readFileSync(tls.ca), read(tls.key), read(tls.cert));
}
