/**
 * The bounds one HTTP/2 connection keeps, so that no client can make the
 * server spend memory or CPU without end. Each number says where it comes
 * from; the README lists them with what a client that passes one gets.
 * @module
 */

/** Bytes queued for the socket (ours plus its own buffer) above which we stop reading: 1 MiB and one frame. */
export const MAX_QUEUED_OUTPUT = 1024 * 1024 + 16_384 + 9;

/**
 * New streams are refused (REFUSED_STREAM) while at least this many streams
 * wait for flow-control window with more than this much response data queued
 * in all: a client that opens streams but never grants window holds at most
 * about this much of our memory, while one big response alone never blocks
 * other streams.
 */
export const MAX_BLOCKED_STREAMS = 64;
export const MAX_BLOCKED_OUTPUT = 32 * 1024 * 1024;

/** Control frames (PING ACK, SETTINGS ACK, RST_STREAM) queued but not yet written: Go's maxQueuedControlFrames. */
export const MAX_QUEUED_CONTROL_FRAMES = 10_000;

/**
 * Client resets of streams we still serve (CVE-2023-44487, "rapid reset"),
 * whether their work had started or not: a bucket of 1,000 refilled at 33 a
 * second, nghttp2's defaults (stream_reset_burst, stream_reset_rate) since
 * its fix. A reset stream whose handler runs on keeps its slot besides.
 */
export const RESET_BURST = 1000;
export const RESET_PER_SECOND = 33;

/**
 * Frames that do no work — empty DATA without END_STREAM, empty
 * CONTINUATION, PRIORITY, WINDOW_UPDATE/RST_STREAM/empty DATA on closed streams,
 * unsolicited PING or SETTINGS ACKs, unknown frame types: a bucket of 1,000
 * refilled at 100 a second (Node's maxSessionInvalidFrames is 1,000 in all).
 */
export const IDLE_FRAME_BURST = 1000;
export const IDLE_FRAMES_PER_SECOND = 100;

/**
 * A connection stuck in the middle of a frame this long (no frame completed
 * meanwhile), or in the middle of a header block this long since it began, is closed.
 */
export const STALLED_FRAME_TIMEOUT_MS = 30_000;

/** After our GOAWAY of an error, what we read and drop at most before we stop reading (until the linger destroys the socket). */
export const MAX_DRAIN_AFTER_GOAWAY = 1024 * 1024;

/** After our GOAWAY of an error, how long the client has to read it before the socket is destroyed. */
export const GOAWAY_LINGER_MS = 1000;

/** grpc-go's keepalive enforcement (internal/transport/http2_server.go). */
export const MAX_PING_STRIKES = 2;
/** With no stream open and pings without streams not permitted, a ping is allowed this often. */
export const PING_INTERVAL_WITHOUT_STREAMS_MS = 2 * 60 * 60 * 1000;
/** etcd's --grpc-keepalive-min-time default. */
export const DEFAULT_KEEPALIVE_MIN_TIME_MS = 5000;
