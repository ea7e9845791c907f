/**
 * What the KV semantics need from the lessor: whether a lease exists (a put
 * with an unknown lease fails with "requested lease not found").
 * @module
 */

export interface LeaseLookup {
  exists(id: bigint): boolean;
}

/** For a server without a lessor yet: no lease exists. */
export const NO_LEASES: LeaseLookup = {
  exists: () => false,
};
