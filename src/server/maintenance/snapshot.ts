/**
 * Maintenance.Snapshot: a consistent view of the backend written as a bbolt
 * file (src/storage/bbolt) and streamed in etcd's snapshot format — the
 * database bytes, then their SHA-256 — without stalling writes.
 * @module
 */
import type { SnapshotResponse } from "../../gen/etcdserverpb/rpc.js";
import type { Backend } from "../../storage/backend/index.js";
import type { HeaderSource } from "../api.js";

export interface SnapshotDeps {
  backend: Backend;
  header: HeaderSource;
}

export function streamSnapshot(_deps: SnapshotDeps, _signal: AbortSignal): AsyncIterable<SnapshotResponse> {
  throw new Error("streamSnapshot: not built yet");
}
