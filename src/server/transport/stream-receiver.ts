/**
 * The incoming half: a peer's long-lived `POST /raft/stream/<from>` request.
 * After the identity check the answer headers go out at once (200) and the
 * request body is read for as long as the peer keeps it open, frame by frame,
 * each message handed to the server as it completes.
 *
 * What a hostile sender can do is bounded here: a frame longer than
 * `maxFrameBytes` is refused from its header (nothing is buffered for it), a
 * frame that stops half way is cut after `frameTimeoutMs`, bytes that do not
 * decode end the stream, and a message that claims another sender or
 * recipient than the stream's is not handed to raft. Warnings about all of
 * this are rate-limited.
 * @module
 */
import * as http2 from "node:http2";
import { Message } from "../../gen/raftpb/raft.js";
import type { Cancel, Clock } from "../../pkg/clock.js";
import type { Logger } from "../../pkg/logger.js";
import { FrameDecoder } from "./frame-codec.js";
import { checkIncoming, idFromHex, idToHex, type LocalIdentity, type MembershipView } from "./identity.js";
import type { TransportMetricsSink } from "./metrics-sink.js";
import type { RateLimitedLog } from "./rate-limited-log.js";

export interface ReceiverContext {
  identity(): LocalIdentity;
  readonly membership: MembershipView;
  readonly logger: Logger;
  /** Warnings a remote can provoke, at most one per kind per second. */
  readonly remoteWarnings: RateLimitedLog;
  readonly metrics: TransportMetricsSink;
  readonly maxFrameBytes: number;
  readonly serverVersion: string;
  readonly clock: Pick<Clock, "nowMs" | "after">;
  /** Marks the stream's connection as a member's while the stream is open (exempt from the anonymous-connection bounds). */
  holdConnection(stream: http2.ServerHttp2Stream): void;
}

export interface StreamReceiverContext extends ReceiverContext {
  readonly frameTimeoutMs: number;
  onMessage(m: Message): void;
  /** Registers an open incoming stream so the transport can cut it (peer removed, replaced, stop). */
  track(from: bigint, stream: http2.ServerHttp2Stream): void;
}

/**
 * Answers and closes the stream, telling the peer to stop sending: for
 * refusals and for small answers whose request body nobody reads (a client
 * pushing a body would otherwise have its stream window buffered for as
 * long as it kept the stream open).
 */
export function answerAndClose(stream: http2.ServerHttp2Stream, status: number, body: string, headers?: Record<string, string>): void {
  if (stream.destroyed || stream.closed) return;
  if (!stream.headersSent) stream.respond({ ":status": status, "content-type": "text/plain; charset=utf-8", ...(headers ?? {}) });
  stream.end(body, () => stream.close(http2.constants.NGHTTP2_NO_ERROR));
}

/** Refuses a request with a reason (one line of text). */
export function refuse(stream: http2.ServerHttp2Stream, status: number, message: string, extra?: Record<string, string>): void {
  answerAndClose(stream, status, `${message}\n`, extra);
}

/** A peer request that passed the identity check: the sender, who we were then, and the headers every answer carries. */
export interface AdmittedPeer {
  from: bigint;
  local: LocalIdentity;
  answerHeaders: Record<string, string>;
}

/**
 * The identity check every peer request goes through (cluster id, removed
 * members, unknown senders, recipient). A refused request is answered and
 * logged with `what`, and `undefined` is returned.
 */
export function admitPeer(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, ctx: ReceiverContext, what: string): AdmittedPeer | undefined {
  const local = ctx.identity();
  const answerHeaders = { "x-etcd-cluster-id": idToHex(local.clusterId), "x-server-version": ctx.serverVersion };
  const check = checkIncoming(headers, local, ctx.membership);
  if (!check.ok) {
    ctx.remoteWarnings.warn({ reason: check.refusal.message, kind: check.refusal.kind }, `rejected ${what} from peer`);
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
  ctx.holdConnection(stream);
  ctx.track(from, stream);
  ctx.logger.debug({ "remote-peer-id": fromHex }, "peer message stream opened");
  const decoder = new FrameDecoder(ctx.maxFrameBytes);
  const cut = (code: number, fields: object, why: string): void => {
    ctx.remoteWarnings.warn({ "remote-peer-id": fromHex, ...fields }, why);
    stream.close(code);
  };
  // A frame begun must complete within frameTimeoutMs (re-armed whenever one does).
  let cancelFrameTimer: Cancel | undefined;
  const watchPartialFrame = (completedBefore: number): void => {
    if (decoder.buffered === 0) {
      cancelFrameTimer?.();
      cancelFrameTimer = undefined;
      return;
    }
    if (cancelFrameTimer !== undefined && decoder.completed === completedBefore) return;
    cancelFrameTimer?.();
    cancelFrameTimer = ctx.clock.after(ctx.frameTimeoutMs, () =>
      cut(http2.constants.NGHTTP2_CANCEL, { "buffered-bytes": decoder.buffered, "timeout-ms": ctx.frameTimeoutMs }, "closing a peer message stream stuck inside a frame"),
    );
  };
  stream.on("data", (chunk: Buffer) => {
    if (stream.closed || stream.destroyed) return;
    ctx.metrics.receivedBytes(fromHex, chunk.length);
    const completedBefore = decoder.completed;
    let bodies: Buffer[];
    try {
      bodies = decoder.push(chunk);
    } catch (err) {
      cut(http2.constants.NGHTTP2_PROTOCOL_ERROR, { error: (err as Error).message }, "closing a corrupt peer message stream");
      return;
    }
    for (const body of bodies) {
      let m: Message;
      try {
        m = Message.decode(body);
      } catch (err) {
        cut(http2.constants.NGHTTP2_PROTOCOL_ERROR, { error: (err as Error).message }, "closing a peer message stream with an undecodable message");
        return;
      }
      if (m.to !== local.memberId || m.from !== from) {
        ctx.remoteWarnings.warn({ "remote-peer-id": fromHex, from: idToHex(m.from), to: idToHex(m.to) }, "ignored raft messages with another sender or recipient than their stream");
        continue;
      }
      if (ctx.membership.isRemoved(m.from)) {
        cut(http2.constants.NGHTTP2_REFUSED_STREAM, {}, "closing the message stream of a removed member");
        return;
      }
      try {
        ctx.onMessage(m);
      } catch (err) {
        ctx.logger.error({ "remote-peer-id": fromHex, error: err instanceof Error ? err.message : String(err) }, "failed to process raft message");
      }
    }
    watchPartialFrame(completedBefore);
  });
  stream.on("close", () => {
    cancelFrameTimer?.();
    ctx.logger.debug({ "remote-peer-id": fromHex }, "peer message stream closed");
  });
}
