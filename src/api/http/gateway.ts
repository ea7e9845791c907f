/**
 * etcd's gRPC-gateway: JSON over HTTP/1.1 turned into calls on the server's
 * own gRPC services, the way etcd does it — the gateway is a gRPC client of
 * its own client port. Every call therefore runs through exactly the code a
 * gRPC client reaches (validation, interceptors, error table, metrics), and
 * streams (watch, lease keepalive, election observe, snapshot) get gRPC's
 * flow control for free. Messages are transcoded between JSON and protobuf
 * bytes by the proto schema, never by per-service code.
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "../../pkg/logger.js";
import { JsonSyntaxError, goJsonString, scanNext } from "./go-json.js";
import { goHttpError, httpStatusFromGrpcCode, statusText } from "./go-http.js";
import { JsonDecodeError, jsonToProto } from "./json-to-proto.js";
import { protoToJson } from "./proto-to-json.js";
import type { MethodInfo, ProtoSchema } from "./proto-schema.js";
import { GATEWAY_ROUTES, type GatewayRoute } from "./routes.js";

export interface GatewayOptions {
  schema: ProtoSchema;
  routes?: readonly GatewayRoute[];
  /** host:port of this server's gRPC port, asked on first use (the listener binds after the gateway is built). */
  target: () => string;
  /** Largest request body read for a unary or server-streaming call. */
  maxBodyBytes: number;
  logger: Logger;
}

const identity = (b: Buffer): Buffer => b;
const GRPC_CODE_UNKNOWN = 2;
const GRPC_CODE_INVALID_ARGUMENT = 3;
const GRPC_CODE_RESOURCE_EXHAUSTED = 8;

/** The metadata key etcd reads the auth token from. */
const TOKEN_METADATA = "token";
const METADATA_HEADER_PREFIX = "grpc-metadata-";

export class Gateway {
  readonly #routes = new Map<string, MethodInfo>();
  readonly #target: () => string;
  readonly #maxBodyBytes: number;
  readonly #logger: Logger;
  #client: grpc.Client | undefined;

  constructor(options: GatewayOptions) {
    this.#target = options.target;
    this.#maxBodyBytes = options.maxBodyBytes;
    this.#logger = options.logger;
    for (const route of options.routes ?? GATEWAY_ROUTES) {
      if (!options.schema.hasMethod(route.rpc)) {
        options.logger.warn({ path: route.path, rpc: route.rpc }, "gateway route skipped: rpc not in the proto schema");
        continue;
      }
      const method = options.schema.method(route.rpc);
      if (method.clientStreaming && !method.serverStreaming) throw new Error(`gateway: client-streaming rpc ${route.rpc} is not supported`);
      this.#routes.set(route.path, method);
    }
  }

  /** Paths the gateway serves (for tests and the README). */
  paths(): string[] {
    return [...this.#routes.keys()];
  }

  /** Serves a request whose path is under /v3/ (already rewritten from /v3beta/). */
  serve(req: IncomingMessage, res: ServerResponse, path: string): void {
    const method = this.#routes.get(path);
    if (method === undefined) {
      goHttpError(res, 404, "Not Found");
      return;
    }
    if (req.method !== "POST") {
      goHttpError(res, 405, "Method Not Allowed");
      return;
    }
    const metadata = metadataOf(req);
    if (method.clientStreaming) this.#bidi(req, res, method, metadata);
    else
      readBody(req, this.#maxBodyBytes).then(
        (body) => this.#withRequest(res, method, body, metadata),
        (err: unknown) => {
          if (err instanceof BodyTooLarge) writeUnaryError(res, GRPC_CODE_RESOURCE_EXHAUSTED, err.message, false);
          else res.destroy();
        },
      );
  }

  close(): void {
    this.#client?.close();
    this.#client = undefined;
  }

  #grpc(): grpc.Client {
    if (this.#client === undefined) {
      this.#client = new grpc.Client(this.#target(), grpc.credentials.createInsecure(), {
        "grpc.max_receive_message_length": -1,
        "grpc.max_send_message_length": -1,
      });
    }
    return this.#client;
  }

  /** Unary and server-streaming calls: one request message from the whole body. */
  #withRequest(res: ServerResponse, method: MethodInfo, body: Buffer, metadata: grpc.Metadata): void {
    let request: Buffer;
    try {
      request = decodeOne(method, body);
    } catch (err) {
      if (!(err instanceof JsonDecodeError || err instanceof JsonSyntaxError)) throw err;
      writeUnaryError(res, GRPC_CODE_INVALID_ARGUMENT, err.message, false);
      return;
    }
    if (method.serverStreaming) {
      const call = this.#grpc().makeServerStreamRequest(method.path, identity, identity, request, metadata, {});
      forwardStream(res, method, call);
      return;
    }
    const call = this.#grpc().makeUnaryRequest(method.path, identity, identity, request, metadata, {}, (err, response) => {
      if (err) {
        writeUnaryError(res, err.code, err.details, true);
        return;
      }
      const json = protoToJson(method.output, response ?? Buffer.alloc(0));
      res.writeHead(200, {
        "content-type": "application/json",
        "grpc-metadata-content-type": "application/grpc",
        "content-length": Buffer.byteLength(json),
      });
      res.end(json);
    });
    res.once("close", () => {
      if (!res.writableFinished) call.cancel();
    });
  }

  /**
   * Bidirectional streams: every JSON value of the body is one request, sent
   * as soon as it is complete; the end of the body half-closes the stream
   * (the server keeps answering, as etcd's watch does).
   */
  #bidi(req: IncomingMessage, res: ServerResponse, method: MethodInfo, metadata: grpc.Metadata): void {
    let buffered: Buffer = Buffer.alloc(0);
    let pos = 0;
    let sent = 0;
    let call: grpc.ClientDuplexStream<Buffer, Buffer> | undefined;
    let stopped = false;
    res.once("close", () => {
      stopped = true;
    });
    const stream = (): grpc.ClientDuplexStream<Buffer, Buffer> => {
      if (call === undefined) {
        call = this.#grpc().makeBidiStreamRequest(method.path, identity, identity, metadata, {});
        forwardStream(res, method, call);
      }
      return call;
    };
    const pump = (final: boolean): void => {
      while (!stopped) {
        let scanned;
        let message: Buffer;
        try {
          scanned = scanNext(buffered, pos, final);
          if (scanned.kind !== "value") break;
          message = jsonToProto(method.input, buffered, scanned.node);
        } catch (err) {
          if (!(err instanceof JsonDecodeError || err instanceof JsonSyntaxError)) throw err;
          stopped = true;
          if (sent === 0) {
            // The first request is read before the stream is answered: its
            // error is the response (as a plain error: Unknown, 500).
            call?.cancel();
            req.resume();
            writeUnaryError(res, GRPC_CODE_UNKNOWN, err.message, false);
            return;
          }
          this.#logger.debug({ error: err.message }, "gateway stream: bad request, closing the send side");
          stream().end();
          req.resume();
          return;
        }
        pos = scanned.end;
        sent++;
        if (!stream().write(message)) {
          req.pause();
          stream().once("drain", () => req.resume());
        }
      }
      if (pos > 0 && pos === buffered.length) {
        buffered = Buffer.alloc(0);
        pos = 0;
      }
      if (final && !stopped) {
        stopped = true;
        stream().end();
      }
    };
    req.on("data", (chunk: Buffer) => {
      if (stopped) return;
      buffered = buffered.length === pos ? chunk : Buffer.concat([buffered.subarray(pos), chunk]);
      pos = 0;
      if (buffered.length > this.#maxBodyBytes) {
        stopped = true;
        if (sent === 0) writeUnaryError(res, GRPC_CODE_RESOURCE_EXHAUSTED, "gateway: request message too large", false);
        else stream().end();
        return;
      }
      pump(false);
    });
    req.on("end", () => pump(true));
  }
}

/** The one request of a unary call: an empty body is an empty message (io.EOF is not an error). */
function decodeOne(method: MethodInfo, body: Buffer): Buffer {
  const scanned = scanNext(body, 0, true);
  if (scanned.kind !== "value") return Buffer.alloc(0);
  return jsonToProto(method.input, body, scanned.node);
}

/**
 * Writes a stream's messages as newline-delimited `{"result":…}` lines,
 * passing back-pressure both ways: a slow HTTP reader pauses the gRPC call.
 * An error after the first line is one more `{"error":…}` chunk; before it,
 * it sets the HTTP status too.
 */
function forwardStream(res: ServerResponse, method: MethodInfo, call: grpc.ClientReadableStream<Buffer>): void {
  let headed = false;
  let failure: grpc.ServiceError | undefined;
  res.once("close", () => {
    if (!res.writableFinished) call.cancel();
  });
  const head = (status: number): void => {
    if (headed) return;
    headed = true;
    res.writeHead(status, { "content-type": "application/json", "grpc-metadata-content-type": "application/grpc" });
  };
  call.on("data", (message: Buffer) => {
    if (res.destroyed) return;
    head(200);
    if (!res.write(`{"result":${protoToJson(method.output, message)}}\n`)) {
      call.pause();
      res.once("drain", () => call.resume());
    }
  });
  call.on("error", (err: grpc.ServiceError) => {
    failure = err;
  });
  call.on("end", () => {
    if (res.destroyed || res.writableEnded) return;
    if (failure === undefined || failure.code === grpc.status.OK) {
      head(200);
      res.end();
      return;
    }
    const httpCode = httpStatusFromGrpcCode(failure.code);
    head(httpCode);
    res.end(
      `{"error":{"grpc_code":${failure.code},"http_code":${httpCode},"message":${goJsonString(failure.details)},"http_status":${goJsonString(statusText(httpCode))}}}`,
    );
  });
}

/**
 * grpc-gateway's error answer for a unary call. An error the server sent
 * comes with the status trailer grpc-gateway forwards; one the gateway
 * raised itself (bad JSON) does not.
 */
function writeUnaryError(res: ServerResponse, code: number, message: string, fromServer: boolean): void {
  if (res.headersSent || res.destroyed) return;
  const text = goJsonString(message);
  const body = `{"error":${text},"message":${text},"code":${code}}`;
  const status = httpStatusFromGrpcCode(code);
  if (fromServer) {
    res.writeHead(status, { "content-type": "application/json", trailer: "Grpc-Trailer-Content-Type" });
    res.write(body);
    res.addTrailers({ "Grpc-Trailer-Content-Type": "application/grpc" });
    res.end();
    return;
  }
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** gRPC metadata from the HTTP headers: the auth token, and `Grpc-Metadata-*` headers with the prefix stripped. */
function metadataOf(req: IncomingMessage): grpc.Metadata {
  const md = new grpc.Metadata();
  const auth = req.headers.authorization;
  if (auth !== undefined && auth !== "") md.set(TOKEN_METADATA, auth);
  for (const [name, value] of Object.entries(req.headers)) {
    if (!name.startsWith(METADATA_HEADER_PREFIX) || value === undefined) continue;
    const key = name.slice(METADATA_HEADER_PREFIX.length);
    if (key === "" || key.endsWith("-bin")) continue;
    try {
      for (const v of Array.isArray(value) ? value : [value]) md.add(key, v);
    } catch {
      // grpc-js refuses keys and values gRPC cannot carry; such a header is dropped.
    }
  }
  return md;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLarge(`gateway: request body larger than ${limit} bytes`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
