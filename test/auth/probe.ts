/**
 * One gRPC channel to a server that calls any method of etcd's services (by
 * its generated definition) with an optional auth token in the `token`
 * metadata, as clientv3 sends it, and reduces the answer to a short outcome
 * string: "OK", or "<grpc code name>: <message>". Streams are judged by their
 * first message (or error) and then cancelled.
 */
import * as grpc from "@grpc/grpc-js";
import { AuthService, AuthenticateRequest } from "../../src/gen/etcdserverpb/rpc.js";

/** The part of a generated method definition that a call needs. */
export interface MethodDef<Req, Res> {
  path: string;
  requestSerialize(value: Req): Buffer;
  responseDeserialize(value: Buffer): Res;
}

export type Answer<Res> = { ok: true; value: Res } | { ok: false; code: number; message: string };

/** Generous: a call on a loaded 2-core machine may wait for a raft round and a bcrypt hash. */
const CALL_DEADLINE_MS = 20_000;

export class Probe {
  private readonly client: grpc.Client;

  /** Plain text unless `credentials` (TLS) are given. */
  constructor(endpoint: string, credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure()) {
    this.client = new grpc.Client(endpoint, credentials);
  }

  close(): void {
    this.client.close();
  }

  unary<Req, Res>(def: MethodDef<Req, Res>, request: Req, token?: string): Promise<Answer<Res>> {
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, request, metadataFor(token), { deadline: deadline() }, (err, value) => {
        if (err) resolve({ ok: false, code: err.code, message: err.details });
        else resolve({ ok: true, value: value! });
      });
    });
  }

  /** Like {@link unary} but throws on an error: for the set-up steps a test relies on. */
  async must<Req, Res>(def: MethodDef<Req, Res>, request: Req, token?: string): Promise<Res> {
    const answer = await this.unary(def, request, token);
    if (!answer.ok) throw new Error(`${def.path} failed: ${grpc.status[answer.code]}: ${answer.message}`);
    return answer.value;
  }

  /** The first message of a server stream (or its error); the stream is cancelled after. */
  firstOfServerStream<Req, Res>(def: MethodDef<Req, Res>, request: Req, token?: string): Promise<Answer<Res>> {
    const stream = this.client.makeServerStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, request, metadataFor(token), { deadline: deadline() });
    return firstAnswer<Res>(stream);
  }

  /** Sends one request on a bidi stream and returns the first response (or the stream's error); then cancels it. */
  firstOfBidiStream<Req, Res>(def: MethodDef<Req, Res>, request: Req, token?: string): Promise<Answer<Res>> {
    const stream = this.client.makeBidiStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, metadataFor(token), { deadline: deadline() });
    stream.write(request);
    return firstAnswer<Res>(stream);
  }

  /** A token for the user, or throws. */
  async login(name: string, password: string): Promise<string> {
    const res = await this.must(AuthService.authenticate, AuthenticateRequest.fromPartial({ name, password }));
    return res.token;
  }
}

/** "OK" or "<CODE_NAME>: <message>", the cell of a matrix. */
export function describeAnswer<Res>(answer: Answer<Res>, ok: (value: Res) => string = () => "OK"): string {
  return answer.ok ? ok(answer.value) : `${grpc.status[answer.code]}: ${answer.message}`;
}

function metadataFor(token: string | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (token !== undefined) metadata.set("token", token);
  return metadata;
}

function deadline(): number {
  return Date.now() + CALL_DEADLINE_MS;
}

function firstAnswer<Res>(stream: grpc.ClientReadableStream<Res> | grpc.ClientDuplexStream<unknown, Res>): Promise<Answer<Res>> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (answer: Answer<Res>): void => {
      if (settled) return;
      settled = true;
      resolve(answer);
      stream.cancel();
    };
    stream.on("data", (value: Res) => settle({ ok: true, value }));
    stream.on("error", (err: grpc.ServiceError) => settle({ ok: false, code: err.code, message: err.details }));
    stream.on("end", () => settle({ ok: false, code: grpc.status.UNKNOWN, message: "stream ended without a message" }));
  });
}
