/**
 * Shared quorum vocabulary: the result of a vote and the source of acked
 * indexes a commit computation reads from.
 * @module
 */

/** The outcome of counting votes against a configuration. */
export enum VoteResult {
  /** Neither won nor lost yet: enough votes are still missing to go either way. */
  VotePending = 1,
  /** A quorum rejected. */
  VoteLost = 2,
  /** A quorum granted. */
  VoteWon = 3,
}

/** The index each voter has acknowledged (durably stored), if known. */
export interface AckedIndexer {
  ackedIndex(id: bigint): bigint | undefined;
}

/**
 * The commit index of an empty configuration: larger than any real index, so
 * that an empty half of a joint configuration never holds back the minimum.
 */
export const INFINITE_INDEX = (1n << 64n) - 1n;

/** Renders an index for display ("∞" for {@link INFINITE_INDEX}). */
export function indexString(i: bigint): string {
  return i === INFINITE_INDEX ? "∞" : i.toString();
}
