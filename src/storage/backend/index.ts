/**
 * The storage backend: bucketed, ordered key/value store with one batched
 * write transaction. See README.md.
 * @module
 */

export { MAX_KEY_BYTES, type Backend, type BackendReadView, type BackendReader, type BackendWriter, type BackendStats, type Entry, type KeyRange, type PreCommitHook, type SnapshotFiles } from "./backend.js";
export { BUCKETS, META_KEYS, DEFAULT_HASH_IGNORES, isBucket, type Bucket, type IgnoreKey } from "./schema.js";
export { LmdbBackend, backendPath, defragCopyPath, DEFAULT_DEFRAG_BACKLOG_BYTES, type DefragReport, type LmdbBackendOptions } from "./lmdb-backend.js";
export { MemoryBackend, type MemoryBackendOptions } from "./memory-backend.js";
export { dbFormatOf, DB_FORMAT_HEAD_BYTES, type DbFormat } from "./db-format.js";
