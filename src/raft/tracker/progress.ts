/**
 * What the leader knows about one follower's log, and how it replicates to it.
 *
 *                          +----------------------------------------+
 *                          |          (append rejected / lost)      |
 *                          v                                        |
 *   +-------+  ack  +-----------+  follower too far behind  +----------+
 *   | Probe | ----> | Replicate | ------------------------> | Snapshot |
 *   +-------+       +-----------+                           +----------+
 *       ^                                                       |
 *       +-------- snapshot applied / reported (MsgSnapStatus) --+
 *
 * - Probe: one append at a time until the follower's log position is known.
 * - Replicate: stream appends optimistically, bounded by the inflights window.
 * - Snapshot: a snapshot is on its way; nothing else is sent.
 * @module
 */
import { Inflights } from "./inflights.js";

export enum ProgressState {
  Probe = 0,
  Replicate = 1,
  Snapshot = 2,
}

const STATE_NAMES = ["StateProbe", "StateReplicate", "StateSnapshot"] as const;

export function progressStateString(s: ProgressState): string {
  return STATE_NAMES[s];
}

export class Progress {
  /** The highest index known to be in the follower's log (durably). */
  match = 0n;
  /** The next index to send. Invariant: match < next. */
  next: bigint;
  state: ProgressState = ProgressState.Probe;
  /** In Snapshot state: the index of the snapshot being sent. */
  pendingSnapshot = 0n;
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  /**
   * Sending of appends is paused: a probe is outstanding (Probe) or the
   * window is full (Replicate). Cleared by any response from the follower.
   */
  msgAppFlowPaused = false;
  /** The commit index last sent to this follower. */
  sentCommit = 0n;
  inflights: Inflights;
  isLearner: boolean;

  constructor(next: bigint, inflights: Inflights, isLearner: boolean, match = 0n) {
    this.next = next;
    this.match = match;
    this.inflights = inflights;
    this.isLearner = isLearner;
  }

  /** A copy for a tentative configuration change (the window is copied too). */
  clone(): Progress {
    const p = new Progress(this.next, this.inflights.clone(), this.isLearner, this.match);
    p.state = this.state;
    p.pendingSnapshot = this.pendingSnapshot;
    p.recentActive = this.recentActive;
    p.msgAppFlowPaused = this.msgAppFlowPaused;
    p.sentCommit = this.sentCommit;
    return p;
  }

  resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0n;
    this.state = state;
    this.inflights.reset();
  }

  /** Back to probing from the follower's known match (or after the snapshot). */
  becomeProbe(): void {
    if (this.state === ProgressState.Snapshot) {
      const pending = this.pendingSnapshot;
      this.resetState(ProgressState.Probe);
      const a = this.match + 1n;
      const b = pending + 1n;
      this.next = a > b ? a : b;
    } else {
      this.resetState(ProgressState.Probe);
      this.next = this.match + 1n;
    }
  }

  becomeReplicate(): void {
    this.resetState(ProgressState.Replicate);
    this.next = this.match + 1n;
  }

  becomeSnapshot(snapshotIndex: bigint): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshot = snapshotIndex;
    this.next = snapshotIndex + 1n;
  }

  /**
   * An append of `entries` entries (`bytes` of payload) was just sent from
   * `next`. In Replicate the window advances optimistically; in Probe a
   * non-empty append pauses until the follower answers.
   */
  sentEntries(entries: number, bytes: number): void {
    if (this.state === ProgressState.Replicate) {
      if (entries > 0) {
        this.next += BigInt(entries);
        this.inflights.add(this.next - 1n, bytes);
      }
      this.msgAppFlowPaused = this.inflights.full();
    } else if (this.state === ProgressState.Probe) {
      if (entries > 0) this.msgAppFlowPaused = true;
    }
  }

  recordSentCommit(commit: bigint): void {
    this.sentCommit = commit;
  }

  /** Whether sending `index` as the commit could move the follower's commit. */
  canBumpCommit(index: bigint): boolean {
    return index > this.sentCommit && this.sentCommit < this.next - 1n;
  }

  /**
   * The follower acknowledged up to `n`. Returns false for a stale (not
   * newer) acknowledgement.
   */
  maybeUpdate(n: bigint): boolean {
    if (n <= this.match) return false;
    this.match = n;
    if (this.next < n + 1n) this.next = n + 1n;
    this.msgAppFlowPaused = false;
    return true;
  }

  /**
   * The follower rejected an append whose previous index was `rejected`,
   * hinting that its log matches ours at most up to `matchHint`. Returns
   * false when the rejection is stale (answers an earlier probe).
   */
  maybeDecrTo(rejected: bigint, matchHint: bigint): boolean {
    if (this.state === ProgressState.Replicate) {
      // Stale: we already know the follower has `rejected`.
      if (rejected <= this.match) return false;
      // Send again from the last known match.
      this.next = this.match + 1n;
      return true;
    }
    // In Probe (and Snapshot) only the rejection of the last probe counts.
    if (this.next - 1n !== rejected) return false;
    let next = rejected < matchHint + 1n ? rejected : matchHint + 1n;
    if (next < this.match + 1n) next = this.match + 1n;
    this.next = next;
    this.msgAppFlowPaused = false;
    return true;
  }

  /** Whether appends to this follower are on hold. */
  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
      case ProgressState.Replicate:
        return this.msgAppFlowPaused;
      case ProgressState.Snapshot:
        return true;
    }
  }

  toString(): string {
    let s = `${progressStateString(this.state)} match=${this.match} next=${this.next}`;
    if (this.isLearner) s += " learner";
    if (this.isPaused()) s += " paused";
    if (this.pendingSnapshot > 0n) s += ` pendingSnap=${this.pendingSnapshot}`;
    if (!this.recentActive) s += " inactive";
    const n = this.inflights.count();
    if (n > 0) {
      s += ` inflight=${n}`;
      if (this.inflights.full()) s += "[full]";
    }
    return s;
  }
}
