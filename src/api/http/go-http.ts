/**
 * How Go's net/http and grpc-gateway answer the plain cases (http.Error,
 * NotFound, the gRPC code → HTTP status table), so our client port answers
 * them with the same status, headers and text as etcd's.
 * @module
 */
import type { ServerResponse } from "node:http";
import { STATUS_CODES } from "node:http";

/** http.Error: text/plain, nosniff, the text and a newline. */
export function goHttpError(res: ServerResponse, status: number, text: string): void {
  const body = `${text}\n`;
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "x-content-type-options": "nosniff",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

/** http.NotFound (ServeMux's answer for a path nobody registered). */
export function goNotFound(res: ServerResponse): void {
  goHttpError(res, 404, "404 page not found");
}

/** A GET-only endpoint asked with another method. */
export function goMethodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader("allow", allow);
  goHttpError(res, 405, "Method Not Allowed");
}

/** ServeMux's redirect from a subtree root without its slash ("/v3" → "/v3/"). */
export function goMovedPermanently(res: ServerResponse, method: string | undefined, location: string): void {
  res.setHeader("location", location);
  if (method === "GET" || method === "HEAD") {
    const body = `<a href="${location}">Moved Permanently</a>.\n\n`;
    res.writeHead(301, { "content-type": "text/html; charset=utf-8", "content-length": Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  res.writeHead(301, { "content-length": 0 });
  res.end();
}

/** grpc-gateway's HTTPStatusFromCode. */
export function httpStatusFromGrpcCode(code: number): number {
  switch (code) {
    case 0: return 200; // OK
    case 1: return 408; // Canceled
    case 2: return 500; // Unknown
    case 3: return 400; // InvalidArgument
    case 4: return 504; // DeadlineExceeded
    case 5: return 404; // NotFound
    case 6: return 409; // AlreadyExists
    case 7: return 403; // PermissionDenied
    case 8: return 429; // ResourceExhausted
    case 9: return 412; // FailedPrecondition
    case 10: return 409; // Aborted
    case 11: return 400; // OutOfRange
    case 12: return 501; // Unimplemented
    case 13: return 500; // Internal
    case 14: return 503; // Unavailable
    case 15: return 500; // DataLoss
    case 16: return 401; // Unauthenticated
    default: return 500;
  }
}

/**
 * grpc-go's refusal of a message over the server's limit (ResourceExhausted).
 * The gateway says it for a request it stops reading at its own JSON limit;
 * `size` is then the JSON bytes read, where grpc-go counts protobuf bytes.
 */
export function messageTooLarge(size: number, max: number): string {
  return `grpc: received message larger than max (${size} vs. ${max})`;
}

/** Go's http.StatusText. */
export function statusText(status: number): string {
  return STATUS_CODES[status] ?? "";
}
