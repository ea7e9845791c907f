/**
 * Raised alarms (NOSPACE, CORRUPT) per member, replicated through the log and
 * kept in the backend's alarm bucket (key: the encoded AlarmMember, as etcd
 * stores it), so a restarted member comes back with its alarms.
 * @module
 */
import { AlarmMember, AlarmType } from "../../gen/etcdserverpb/rpc.js";
import type { Backend } from "../../storage/backend/index.js";

const EMPTY = Buffer.alloc(0);

export class AlarmStore {
  readonly #backend: Backend;
  /** alarm type → member ids with that alarm raised */
  readonly #raised = new Map<AlarmType, Set<bigint>>();

  constructor(backend: Backend) {
    this.#backend = backend;
    this.reload();
  }

  /** Re-reads the raised alarms from the backend (after a snapshot replaced it). */
  reload(): void {
    this.#raised.clear();
    this.#backend.forEach("alarm", (key) => {
      const m = AlarmMember.decode(key);
      this.#set(m.alarm).add(m.memberID);
    });
  }

  /** Raises `alarm` for `memberId`; undefined when it was already raised. */
  activate(memberId: bigint, alarm: AlarmType): AlarmMember | undefined {
    const members = this.#set(alarm);
    if (members.has(memberId)) return undefined;
    members.add(memberId);
    const m: AlarmMember = { memberID: memberId, alarm };
    this.#backend.put("alarm", Buffer.from(AlarmMember.encode(m).finish()), EMPTY);
    return m;
  }

  /** Clears `alarm` for `memberId`; undefined when it was not raised. */
  deactivate(memberId: bigint, alarm: AlarmType): AlarmMember | undefined {
    const members = this.#raised.get(alarm);
    if (members === undefined || !members.delete(memberId)) return undefined;
    const m: AlarmMember = { memberID: memberId, alarm };
    this.#backend.delete("alarm", Buffer.from(AlarmMember.encode(m).finish()));
    return m;
  }

  /** Raised alarms of one type, or of every type for NONE. */
  get(alarm: AlarmType): AlarmMember[] {
    const out: AlarmMember[] = [];
    for (const [type, members] of this.#raised) {
      if (alarm !== AlarmType.NONE && type !== alarm) continue;
      for (const memberID of [...members].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) out.push({ memberID, alarm: type });
    }
    return out;
  }

  isRaised(alarm: AlarmType): boolean {
    return (this.#raised.get(alarm)?.size ?? 0) > 0;
  }

  #set(alarm: AlarmType): Set<bigint> {
    let s = this.#raised.get(alarm);
    if (s === undefined) {
      s = new Set();
      this.#raised.set(alarm, s);
    }
    return s;
  }
}

/** How etcd prints an alarm in Status.errors and `etcdctl alarm list` (protobuf text form). */
export function describeAlarm(m: AlarmMember): string {
  return `memberID:${m.memberID} alarm:${AlarmType[m.alarm] ?? m.alarm} `;
}
