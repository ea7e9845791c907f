/**
 * Leases in the backend's `lease` bucket, laid out as etcd lays them out:
 * key = the lease id as 8 big-endian bytes (two's complement), value = an
 * encoded `leasepb.Lease {ID, TTL, RemainingTTL}`. Only what is needed to
 * rebuild the lessor is stored; attached keys are found again by the mvcc
 * restore, which re-attaches every live key that carries a lease.
 * @module
 */
import { Lease as LeaseRecord } from "../gen/leasepb/lease.js";
import type { BackendReader, BackendWriter } from "../storage/backend/index.js";

export type { LeaseRecord };

export function leaseKey(id: bigint): Buffer {
  const key = Buffer.allocUnsafe(8);
  key.writeBigInt64BE(BigInt.asIntN(64, id));
  return key;
}

export function putLease(writer: BackendWriter, record: LeaseRecord): void {
  writer.put("lease", leaseKey(record.ID), Buffer.from(LeaseRecord.encode(record).finish()));
}

export function deleteLease(writer: BackendWriter, id: bigint): void {
  writer.delete("lease", leaseKey(id));
}

/** Every stored lease, in key order. A value that does not decode is corruption: it throws. */
export function readLeases(reader: BackendReader): LeaseRecord[] {
  const out: LeaseRecord[] = [];
  reader.forEach("lease", (key, value) => {
    try {
      out.push(LeaseRecord.decode(value));
    } catch (err) {
      const id = key.length === 8 ? key.readBigUInt64BE(0).toString(16).padStart(16, "0") : key.toString("hex");
      throw new Error(`lease: cannot decode stored lease ${id}`, { cause: err });
    }
  });
  return out;
}
