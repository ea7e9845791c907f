/**
 * etcd's backend hash (Maintenance.Hash), shared by every backend: one
 * CRC-32C over each bucket in name order — the bucket name, then every key
 * and value of the bucket in key order, skipping the ignored keys.
 * @module
 */

import type { BackendReader } from "./backend.js";
import { Crc32c } from "../../pkg/crc32c.js";
import { BUCKETS, type IgnoreKey } from "./schema.js";

export function hashBuckets(reader: BackendReader, ignores: readonly IgnoreKey[]): number {
  const h = new Crc32c();
  for (const bucket of BUCKETS) {
    h.update(Buffer.from(bucket));
    const skip = ignores.filter((i) => i.bucket === bucket).map((i) => Buffer.from(i.key));
    reader.forEach(bucket, (key, value) => {
      if (skip.length > 0 && skip.some((s) => s.equals(key))) return;
      h.update(key);
      h.update(value);
    });
  }
  return h.sum();
}
