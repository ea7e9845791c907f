/**
 * bbolt's file format: the writer (our backend → an etcd snapshot file) and
 * the reader (an etcd data file or snapshot → buckets). See README.md.
 * @module
 */
export type { BucketContents, BucketSource } from "./source.js";
export { writeBolt, boltFileSize, type BoltWriteOptions } from "./writer.js";
export { openBoltFile, BoltFormatError, type BoltFile } from "./reader.js";
