/**
 * Unary calls with a deadline for cluster tests: a paused or partitioned
 * member must not hang a test, so every call here gives up after its
 * deadline (an error with gRPC code DEADLINE_EXCEEDED).
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import type { Outcome } from "../harness/grpc-clients.js";

type UnaryWithOptions<Req, Res> = (
  req: Req,
  metadata: grpc.Metadata,
  options: Partial<grpc.CallOptions>,
  callback: (err: grpc.ServiceError | null, res: Res) => void,
) => grpc.ClientUnaryCall;

export function callWithDeadline<Req, Res>(
  client: grpc.Client,
  method: UnaryWithOptions<Req, Res>,
  req: Req,
  deadlineMs: number,
  metadata?: Record<string, string>,
): Promise<Outcome<Res>> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata ?? {})) md.set(k, v);
  return new Promise((resolve) => {
    method.call(client, req, md, { deadline: Date.now() + deadlineMs }, (err, res) => {
      if (err) resolve({ ok: false, error: { code: err.code, message: err.details } });
      else resolve({ ok: true, value: res });
    });
  });
}
