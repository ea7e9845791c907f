/**
 * What a service handler may know about the call it serves, without
 * depending on grpc-js: request metadata and cancellation. The gRPC adapter
 * and the HTTP gateway each build one.
 * @module
 */

export interface CallContext {
  /** First value of a metadata key (lower-case), e.g. "token" or "hasleader". */
  metadata(key: string): string | undefined;
  /** Aborted when the client cancels or its deadline passes. Created on first use. */
  readonly signal: AbortSignal;
}

/** A context with no metadata that is never cancelled (internal callers, tests). */
export function backgroundContext(): CallContext {
  return {
    metadata: () => undefined,
    signal: new AbortController().signal,
  };
}
