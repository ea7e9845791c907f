/**
 * The incoming half: a peer's long-lived `POST /raft/stream/<from>` request.
 * After the identity check the answer headers go out at once (200) and the
 * request body is read for as long as the peer keeps it open, frame by frame,
 * each message handed to the server as it completes.
 * @module
 */
import * as http2 from "node:http2";
import { Message } from "../../gen/raftpb/raft.js";
import type { Logger } from "../../pkg/logger.js";
import { FrameDecoder } from "./frame-codec.js";
import { checkIncoming, idFromHex, idToHex, type LocalIdentity } from "./identity.js";
import type { TransportMetricsSink } from "./metrics-sink.js";

export interface ReceiverContext {
  identity(): LocalIdentity;
  isRemoved(id: bigint): boolean;
  readonly logger: Logger;
  readonly metrics: TransportMetricsSink;
  readonly maxFrameBytes: number;
  readonly serverVersion: string;
}

export interface StreamReceiverContext extends ReceiverContext {
  onMessage(m: Message): void;
  /** Registers an open incoming stream so the transport can cut it (peer removed, stop). */
  track(from: bigint, stream: http2.ServerHttp2Stream): void;
}

/** Answers with an error and closes our side, telling the peer to stop sending. */
export function refuse(stream: http2.ServerHttp2Stream, status: number, message: string, extra?: Record<string, string>): void {
  if (stream.destroyed || stream.closed) return;
  if (!stream.headersSent) stream.respond({ ":status": status, "content-type": "text/plain; charset=utf-8", ...(extra ?? {}) });
  stream.end(`${message}\n`, () => stream.close(http2.constants.NGHTTP2_NO_ERROR));
}

/** A peer request that passed the identity check: the sender, who we were then, and the headers every answer carries. */
export interface AdmittedPeer {
  from: bigint;
  local: LocalIdentity;
  answerHeaders: Record<string, string>;
}

/**
 * The identity check every peer request goes through (cluster id, sender,
 * removed members). A refused request is answered and logged with `what`,
 * and `undefined` is returned.
 */
export function admitPeer(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, ctx: ReceiverContext, what: string): AdmittedPeer | undefined {
  const local = ctx.identity();
  const answerHeaders = { "x-etcd-cluster-id": idToHex(local.clusterId), "x-server-version": ctx.serverVersion };
  const check = checkIncoming(headers, local, (id) => ctx.isRemoved(id));
  if (!check.ok) {
    ctx.logger.warn({ reason: check.refusal.message, kind: check.refusal.kind }, `rejected ${what} from peer`);
    refuse(stream, check.refusal.status, check.refusal.message, answerHeaders);
    return undefined;
  }
  return { from: check.from, local, answerHeaders };
}

export function acceptMessageStream(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  fromInPath: string,
  ctx: StreamReceiverContext,
): void {
  const admitted = admitPeer(stream, headers, ctx, "message stream");
  if (admitted === undefined) return;
  const { from, local, answerHeaders } = admitted;
  if (idFromHex(fromInPath) !== from) {
    refuse(stream, 400, `sender in path (${fromInPath}) differs from the sender header (${idToHex(from)})`, answerHeaders);
    return;
  }
  const fromHex = idToHex(from);
  stream.respond({ ":status": 200, "content-type": "application/octet-stream", ...answerHeaders });
  ctx.track(from, stream);
  ctx.logger.debug({ "remote-peer-id": fromHex }, "peer message stream opened");
  const decoder = new FrameDecoder(ctx.maxFrameBytes);
  let misaddressed = 0;
  stream.on("data", (chunk: Buffer) => {
    ctx.metrics.receivedBytes(fromHex, chunk.length);
    let bodies: Buffer[];
    try {
      bodies = decoder.push(chunk);
    } catch (err) {
      ctx.logger.warn({ "remote-peer-id": fromHex, error: (err as Error).message }, "closing a corrupt peer message stream");
      stream.close(http2.constants.NGHTTP2_PROTOCOL_ERROR);
      return;
    }
    for (const body of bodies) {
      let m: Message;
      try {
        m = Message.decode(body);
      } catch (err) {
        ctx.logger.warn({ "remote-peer-id": fromHex, error: (err as Error).message }, "closing a peer message stream with an undecodable message");
        stream.close(http2.constants.NGHTTP2_PROTOCOL_ERROR);
        return;
      }
      if (m.to !== local.memberId) {
        if (misaddressed++ === 0) ctx.logger.warn({ "remote-peer-id": fromHex, to: idToHex(m.to) }, "ignored raft messages addressed to another member");
        continue;
      }
      if (ctx.isRemoved(m.from)) {
        ctx.logger.warn({ "remote-peer-id": idToHex(m.from) }, "closing the message stream of a removed member");
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
      try {
        ctx.onMessage(m);
      } catch (err) {
        ctx.logger.error({ "remote-peer-id": fromHex, error: err instanceof Error ? err.message : String(err) }, "failed to process raft message");
      }
    }
  });
  stream.on("close", () => ctx.logger.debug({ "remote-peer-id": fromHex }, "peer message stream closed"));
}
