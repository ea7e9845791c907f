/**
 * Sending one MsgSnap: a request of its own, on a connection of its own (so
 * the bulk transfer never queues behind or ahead of heartbeats), whose body
 * is the message frame followed by the backend bytes. Memory stays bounded:
 * each chunk of the source is written only when the stream has room, and
 * HTTP/2 flow control ties that to the receiver's disk speed. A sha-256 of
 * the backend bytes follows as a trailer; the receiver checks it.
 * @module
 */
import { createHash } from "node:crypto";
import type * as http2 from "node:http2";
import type { Message } from "../../gen/raftpb/raft.js";
import type { Cancel, Clock } from "../../pkg/clock.js";
import { awaitResponse, destroyLater, dialPeer, drained, readText, type DialOptions } from "./dial.js";
import { handshakeProblem } from "./dial-failure.js";
import { encodeFrame } from "./frame-codec.js";
import { refusalFromAnswer, type RefusalKind } from "./identity.js";
import type { SnapshotSource } from "./types.js";

export const HEADER_SNAPSHOT_SIZE = "x-snapshot-db-size";
export const TRAILER_SNAPSHOT_SHA256 = "x-snapshot-sha256";

export class SnapshotSendError extends Error {
  override readonly name = "SnapshotSendError";
  constructor(
    message: string,
    readonly refusal?: RefusalKind,
  ) {
    super(message);
  }
}

export interface SnapshotSendOptions {
  headers: Record<string, string>;
  dialOptions: DialOptions;
  stallTimeoutMs: number;
  /** Counts the stall timeout. */
  clock: Clock;
  signal: AbortSignal;
  /** Called with each number of bytes handed to the connection. */
  onBytes(n: number): void;
}

/** Streams `m` and `source` to `url`. Resolves when the peer accepted the snapshot; throws otherwise. */
export async function sendSnapshot(url: string, m: Message, source: SnapshotSource, options: SnapshotSendOptions): Promise<void> {
  const { session, trace } = dialPeer(url, options.dialOptions);
  let cancelStall: Cancel | undefined;
  const onAbort = (): void => {
    session.destroy(new Error("transport stopped"));
  };
  options.signal.addEventListener("abort", onAbort);
  // Any answer before we finish writing is a refusal; writing stops at once.
  let answered: (http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader) | undefined;
  let answerBody: Promise<string> | undefined;
  try {
    const stream = session.request(
      {
        ...options.headers,
        ":method": "POST",
        ":path": "/raft/snapshot",
        "content-type": "application/octet-stream",
        [HEADER_SNAPSHOT_SIZE]: String(source.size),
      },
      { endStream: false, waitForTrailers: true },
    );
    stream.on("error", () => {});
    const answer = awaitResponse(stream).then((h) => {
      answered = h;
      answerBody = readText(stream);
      return h;
    });
    answer.catch(() => {});
    const armStall = (): void => {
      cancelStall?.();
      cancelStall = options.clock.after(options.stallTimeoutMs, () => stream.close());
    };
    armStall();

    const hash = createHash("sha256");
    const write = async (chunk: Buffer): Promise<void> => {
      if (answered !== undefined) throw await refusalError(answered, answerBody);
      if (stream.destroyed || stream.closed) throw new SnapshotSendError("snapshot stream closed");
      options.onBytes(chunk.length);
      if (!stream.write(chunk)) await drained(stream);
      armStall();
    };

    await write(encodeFrame(m));
    let sent = 0;
    for await (const chunk of source.stream as AsyncIterable<Buffer | string>) {
      const buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      hash.update(buf);
      sent += buf.length;
      if (sent > source.size) throw new SnapshotSendError(`snapshot source yielded more than its ${source.size} bytes`);
      await write(buf);
    }
    if (sent !== source.size) throw new SnapshotSendError(`snapshot source yielded ${sent} of ${source.size} bytes`);
    const digest = hash.digest("hex");
    stream.once("wantTrailers", () => stream.sendTrailers({ [TRAILER_SNAPSHOT_SHA256]: digest }));
    stream.end();
    const headers = await answer;
    cancelStall?.();
    const status = Number(headers[":status"]);
    if (status !== 204) throw await refusalError(headers, answerBody);
  } catch (err) {
    if (err instanceof SnapshotSendError) throw err;
    if (answered !== undefined && Number(answered[":status"]) !== 204) throw await refusalError(answered, answerBody);
    if (options.signal.aborted) throw new SnapshotSendError("transport stopped");
    const why = handshakeProblem(trace) ?? (err instanceof Error ? err.message : String(err));
    throw new SnapshotSendError(`snapshot transfer failed: ${why}`);
  } finally {
    cancelStall?.();
    options.signal.removeEventListener("abort", onAbort);
    destroyLater(session);
    source.stream.destroy();
    source.close?.();
  }
}

async function refusalError(
  headers: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader,
  body: Promise<string> | undefined,
): Promise<SnapshotSendError> {
  const status = Number(headers[":status"]);
  const text = ((await body) ?? "").trim();
  return new SnapshotSendError(`peer refused the snapshot (${status}): ${text}`, refusalFromAnswer(status, text));
}
