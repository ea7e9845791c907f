/**
 * The replicated membership state: who is in the cluster (with their URLs
 * and names), who was removed, and the cluster version. Changed only by the
 * apply loop; persisted in the backend's members / members_removed /
 * cluster buckets inside the same batch as the entry that changed it.
 * @module
 */
import type { Backend } from "../../storage/backend/backend.js";
import { decodeMember, encodeMember, memberKey, type Member } from "./member.js";

const CLUSTER_VERSION_KEY = Buffer.from("clusterVersion");
const REMOVED_MARK = Buffer.from("removed");

export class MembershipStore {
  readonly #backend: Backend;
  readonly #members = new Map<bigint, Member>();
  readonly #removed = new Set<bigint>();
  #clusterVersion: string | undefined;

  constructor(backend: Backend) {
    this.#backend = backend;
    this.#backend.forEach("members", (_k, v) => {
      const m = decodeMember(v);
      this.#members.set(m.id, m);
    });
    this.#backend.forEach("members_removed", (k) => {
      this.#removed.add(BigInt(`0x${k.toString("latin1")}`));
    });
    const version = this.#backend.get("cluster", CLUSTER_VERSION_KEY);
    this.#clusterVersion = version?.toString("utf8");
  }

  /** Members in ascending id order (the order etcd lists them). */
  members(): Member[] {
    return [...this.#members.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  member(id: bigint): Member | undefined {
    return this.#members.get(id);
  }

  isRemoved(id: bigint): boolean {
    return this.#removed.has(id);
  }

  get clusterVersion(): string | undefined {
    return this.#clusterVersion;
  }

  add(m: Member): void {
    this.#members.set(m.id, m);
    this.#backend.put("members", memberKey(m.id), encodeMember(m));
  }

  remove(id: bigint): void {
    this.#members.delete(id);
    this.#removed.add(id);
    this.#backend.delete("members", memberKey(id));
    this.#backend.put("members_removed", memberKey(id), REMOVED_MARK);
  }

  /** Records the name and client URLs a member published after starting. */
  setAttributes(id: bigint, name: string, clientUrls: readonly string[]): void {
    const m = this.#members.get(id);
    if (m === undefined) return; // removed meanwhile: etcd ignores it too
    this.add({ ...m, name, clientUrls: [...clientUrls] });
  }

  setPeerUrls(id: bigint, peerUrls: readonly string[]): void {
    const m = this.#members.get(id);
    if (m === undefined) return;
    this.add({ ...m, peerUrls: [...peerUrls] });
  }

  promote(id: bigint): void {
    const m = this.#members.get(id);
    if (m === undefined) return;
    this.add({ ...m, isLearner: false });
  }

  setClusterVersion(version: string): void {
    this.#clusterVersion = version;
    this.#backend.put("cluster", CLUSTER_VERSION_KEY, Buffer.from(version, "utf8"));
  }
}
