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
import { GATEWAY_METADATA, TOKEN_METADATA } from "../credentials.js";
import { JsonSyntaxError, goJsonString, scanNext } from "./go-json.js";
import { goHttpError, httpStatusFromGrpcCode, messageTooLarge, statusText } from "./go-http.js";
import { JsonValueSplitter, JsonValueTooLarge } from "./json-splitter.js";
import { JsonDecodeError, jsonToProto } from "./json-to-proto.js";
import { protoToJson } from "./proto-to-json.js";
import type { MethodInfo, ProtoSchema } from "./proto-schema.js";
import { GATEWAY_ROUTES, type GatewayRoute } from "./routes.js";

/** Where the gateway's gRPC client dials: grpc-js's target (`host:port`, `unix:path`) and its credentials. */
export interface GatewayTarget {
  readonly address: string;
  readonly credentials: grpc.ChannelCredentials;
}

export interface GatewayOptions {
  schema: ProtoSchema;
  routes?: readonly GatewayRoute[];
  /** This server's gRPC port and how to dial it, asked on first use (the listener binds after the gateway is built). */
  target: () => GatewayTarget;
  /** The largest request message the gRPC server accepts (--max-request-bytes plus gRPC's overhead allowance). */
  maxMessageBytes: number;
  logger: Logger;
}

const identity = (b: Buffer): Buffer => b;
const GRPC_CODE_UNKNOWN = 2;
const GRPC_CODE_INVALID_ARGUMENT = 3;
const GRPC_CODE_RESOURCE_EXHAUSTED = 8;

/**
 * How many JSON bytes one request may have per byte of the message it
 * becomes: bytes travel as base64 (4/3) with field names around them. A
 * body or streamed request past this is refused before it is read whole.
 */
const JSON_BYTES_PER_MESSAGE_BYTE = 2;

const METADATA_HEADER_PREFIX = "grpc-metadata-";

export class Gateway {
  readonly #routes = new Map<string, MethodInfo>();
  readonly #target: () => GatewayTarget;
  readonly #maxMessageBytes: number;
  readonly #maxJsonBytes: number;
  readonly #logger: Logger;
  #client: grpc.Client | undefined;

  constructor(options: GatewayOptions) {
    this.#target = options.target;
    this.#maxMessageBytes = options.maxMessageBytes;
    this.#maxJsonBytes = JSON_BYTES_PER_MESSAGE_BYTE * options.maxMessageBytes;
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
    if (method.clientStreaming) {
      this.#bidi(req, res, method, metadata);
      return;
    }
    readBody(req, this.#maxJsonBytes).then(
      (body) => {
        try {
          this.#withRequest(res, method, body, metadata);
        } catch (err) {
          writeUnaryError(res, GRPC_CODE_UNKNOWN, this.#unexpected(err), false);
        }
      },
      (err: unknown) => {
        if (!(err instanceof BodyTooLarge)) {
          res.destroy();
          return;
        }
        // Real etcd reads the body and its server refuses the message; we answer at the limit
        // and drop the rest of the body as it comes (readBody keeps nothing more).
        writeUnaryError(res, GRPC_CODE_RESOURCE_EXHAUSTED, messageTooLarge(err.size, this.#maxMessageBytes), true);
      },
    );
  }

  close(): void {
    this.#client?.close();
    this.#client = undefined;
  }

  #grpc(): grpc.Client {
    if (this.#client === undefined) {
      const { address, credentials } = this.#target();
      this.#client = new grpc.Client(address, credentials, {
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
      forwardStream(res, method, call, this.#logger);
      return;
    }
    const call = this.#grpc().makeUnaryRequest(method.path, identity, identity, request, metadata, {}, (err, response) => {
      if (err) {
        writeUnaryError(res, err.code, err.details, true);
        return;
      }
      let json: string;
      try {
        json = protoToJson(method.output, response ?? Buffer.alloc(0));
      } catch (jsonErr) {
        writeUnaryError(res, GRPC_CODE_UNKNOWN, this.#unexpected(jsonErr), false);
        return;
      }
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
   * (the server keeps answering, as etcd's watch does). The body is cut
   * incrementally (each byte scanned once, consumed bytes dropped), one
   * request may not exceed the message limit, and while the gRPC stream
   * does not take more the body is not read.
   */
  #bidi(req: IncomingMessage, res: ServerResponse, method: MethodInfo, metadata: grpc.Metadata): void {
    const splitter = new JsonValueSplitter(this.#maxJsonBytes);
    let call: grpc.ClientDuplexStream<Buffer, Buffer> | undefined;
    let output: StreamOutput | undefined;
    let sent = 0;
    let stopped = false;
    let awaitingDrain = false;
    const stop = (): void => {
      stopped = true;
      // Read and drop what the client still sends: closing instead could reset the
      // connection before the client has read the answer. Nothing of it is kept.
      req.resume();
    };
    res.once("close", () => {
      stopped = true;
    });
    const stream = (): grpc.ClientDuplexStream<Buffer, Buffer> => {
      if (call === undefined) {
        call = this.#grpc().makeBidiStreamRequest(method.path, identity, identity, metadata, {});
        output = forwardStream(res, method, call, this.#logger);
      }
      return call;
    };
    const refuse = (err: unknown): void => {
      stop();
      if (err instanceof JsonValueTooLarge) {
        // Real etcd sends the message on and the server refuses it: the stream ends with that error.
        const message = messageTooLarge(err.size, this.#maxMessageBytes);
        if (output !== undefined) output.fail(GRPC_CODE_RESOURCE_EXHAUSTED, message);
        else writeStreamError(res, GRPC_CODE_RESOURCE_EXHAUSTED, message);
        return;
      }
      const text = err instanceof JsonDecodeError || err instanceof JsonSyntaxError ? err.message : this.#unexpected(err);
      if (sent === 0) {
        // The first request is read before the stream is answered: its
        // error is the response (as a plain error: Unknown, 500).
        call?.cancel();
        writeUnaryError(res, GRPC_CODE_UNKNOWN, text, false);
        return;
      }
      this.#logger.debug({ error: text }, "gateway stream: bad request, closing the send side");
      call?.end();
    };
    const pump = (): void => {
      try {
        while (!stopped && !awaitingDrain) {
          const value = splitter.next();
          if (value === undefined) break;
          const message = jsonToProto(method.input, value.bytes, value.node);
          const accepted = stream().write(message);
          sent++;
          if (!accepted) {
            // The stream takes no more for now: stop reading the body until it drains.
            awaitingDrain = true;
            req.pause();
            stream().once("drain", () => {
              awaitingDrain = false;
              req.resume();
              pump();
            });
          }
        }
        if (!stopped && !awaitingDrain && req.readableEnded && splitter.idle) {
          stopped = true;
          stream().end();
        }
      } catch (err) {
        refuse(err);
      }
    };
    req.on("data", (chunk: Buffer) => {
      if (stopped) return;
      splitter.push(chunk);
      pump();
    });
    req.on("end", () => {
      if (stopped) return;
      splitter.end();
      pump();
    });
  }

  /** An error no handler expected (a bug, not bad input): logged, and answered as gRPC's Unknown. */
  #unexpected(err: unknown): string {
    this.#logger.warn({ err }, "gateway: unexpected error");
    return err instanceof Error ? err.message : String(err);
  }
}

/** The one request of a unary call: an empty body is an empty message (io.EOF is not an error). */
function decodeOne(method: MethodInfo, body: Buffer): Buffer {
  const scanned = scanNext(body, 0, true);
  if (scanned.kind !== "value") return Buffer.alloc(0);
  return jsonToProto(method.input, body, scanned.node);
}

/** The response side of a stream, for the request side to end it with an error of its own. */
interface StreamOutput {
  /** Cancels the call and ends the answer with this error, as if the server had sent it. */
  fail(code: number, message: string): void;
}

/**
 * Writes a stream's messages as newline-delimited `{"result":…}` lines,
 * passing back-pressure both ways: while the HTTP response is not writable
 * (the client does not read), no message is taken from the gRPC call, which
 * back-pressures the server. An error after the first line is one more
 * `{"error":…}` chunk; before it, it sets the HTTP status too.
 */
function forwardStream(res: ServerResponse, method: MethodInfo, call: grpc.ClientReadableStream<Buffer>, logger: Logger): StreamOutput {
  let failure: { code: number; details: string } | undefined;
  let finished = false;
  res.once("close", () => {
    if (!res.writableFinished) call.cancel();
  });
  const head = (status: number): void => {
    if (res.headersSent) return;
    res.writeHead(status, { "content-type": "application/json", "grpc-metadata-content-type": "application/grpc" });
  };
  const finish = (): void => {
    if (finished) return;
    finished = true;
    if (res.destroyed || res.writableEnded) return;
    if (failure === undefined || failure.code === grpc.status.OK) {
      head(200);
      res.end();
      return;
    }
    const httpCode = httpStatusFromGrpcCode(failure.code);
    head(httpCode);
    res.end(streamErrorChunk(failure.code, failure.details));
  };
  call.on("data", (message: Buffer) => {
    if (finished || res.destroyed) return;
    let line: string;
    try {
      line = `{"result":${protoToJson(method.output, message)}}\n`;
    } catch (err) {
      logger.warn({ err }, "gateway stream: a response could not be written as JSON");
      failure = { code: GRPC_CODE_UNKNOWN, details: err instanceof Error ? err.message : String(err) };
      call.cancel();
      finish();
      return;
    }
    head(200);
    if (!res.write(line) && !call.isPaused()) {
      call.pause();
      res.once("drain", () => call.resume());
    }
  });
  call.on("error", (err: grpc.ServiceError) => {
    failure ??= { code: err.code, details: err.details };
  });
  call.on("end", finish);
  return {
    fail(code, details) {
      failure = { code, details };
      call.cancel();
      finish();
    },
  };
}

/** A stream's error chunk, as grpc-gateway writes it. */
function streamErrorChunk(code: number, message: string): string {
  const httpCode = httpStatusFromGrpcCode(code);
  return `{"error":{"grpc_code":${code},"http_code":${httpCode},"message":${goJsonString(message)},"http_status":${goJsonString(statusText(httpCode))}}}`;
}

/** A stream that fails before its first message: the status is the error's, the body its chunk. */
function writeStreamError(res: ServerResponse, code: number, message: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(httpStatusFromGrpcCode(code), { "content-type": "application/json", "grpc-metadata-content-type": "application/grpc" });
  res.end(streamErrorChunk(code, message));
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

/**
 * gRPC metadata from the HTTP headers: the auth token, the gateway's mark,
 * and `Grpc-Metadata-*` headers with the prefix stripped. The mark is set on
 * every call (grpc-gateway sets it from the Accept header, when there is
 * one): we dial with the member's own certificate, whose common name must
 * never be taken for the HTTP client's user.
 */
function metadataOf(req: IncomingMessage): grpc.Metadata {
  const md = new grpc.Metadata();
  const auth = req.headers.authorization;
  if (auth !== undefined && auth !== "") md.set(TOKEN_METADATA, auth);
  // Only its presence counts; a constant, so no header value can make it unsendable.
  md.set(GATEWAY_METADATA, "*/*");
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

class BodyTooLarge extends Error {
  constructor(readonly size: number) {
    super(`request body of at least ${size} bytes`);
  }
}

/**
 * The whole body, refused once more than `limit` bytes arrived — whatever
 * Content-Length claims (a body declared huge holds only what was sent).
 * `Content-Encoding` is not looked at: grpc-gateway does not decompress, so
 * a gzip body is read as the JSON it is not, as etcd does.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on("data", (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limit) {
        refused = true;
        chunks.length = 0;
        reject(new BodyTooLarge(size));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
