/**
 * `GET /members/hashkv`: a member's HashKV for its peers' corruption checks
 * (etcd's `hashKVHandler`). The request body is JSON `{"revision":N}`; the
 * answer is etcd's JSON `HashKVResponse` with the member's current revision
 * in the header. A compacted or future revision is a 400 carrying mvcc's
 * words, which the asking member recognizes; a request naming another
 * cluster is a 412; past {@link MAX_HASHKV_PER_SECOND} a 429. Numbers are
 * written and read as text, so 64-bit revisions stay exact.
 * @module
 */
import type { Readable } from "node:stream";
import type { Clock } from "../../pkg/clock.js";
import { isEtcdError } from "../../pkg/errors.js";
import { HEADER_CLUSTER_ID, idFromHex, idToHex } from "./identity.js";

export const HASHKV_PATH = "/members/hashkv";

/** A request body is one small JSON object; anything longer is refused unread. */
export const MAX_HASHKV_BODY_BYTES = 4096;

/** mvcc's error texts, as etcd sends them to the peer that asked. */
export const COMPACTED_TEXT = "mvcc: required revision has been compacted";
export const FUTURE_REV_TEXT = "mvcc: required revision is a future revision";
export const CLUSTER_ID_MISMATCH_TEXT = "cluster ID mismatch";

/** A member's hash of its key space at a revision (etcd's HashKVResponse fields). */
export interface PeerHashKV {
  hash: number;
  compactRevision: bigint;
  hashRevision: bigint;
  /** The answering member's current revision (the response header's). */
  currentRevision: bigint;
}

/**
 * Hashes answered per second at most. A hash reads the whole key bucket on
 * the event loop (about half a second for 350k revisions), so a stranger on
 * the peer port must not be able to ask for them back to back; members ask a
 * few times a minute (the leader's rounds, a restarting member's initial
 * check), so a refusal here is only ever seen by such a stranger — or by a
 * check, which then skips this member for one round.
 */
export const MAX_HASHKV_PER_SECOND = 5;

/** Counts the hashes of the current one-second window. */
export class HashKVBudget {
  readonly #clock: Pick<Clock, "nowMs">;
  readonly #perSecond: number;
  #windowStartMs = Number.NEGATIVE_INFINITY;
  #used = 0;

  constructor(clock: Pick<Clock, "nowMs">, perSecond = MAX_HASHKV_PER_SECOND) {
    this.#clock = clock;
    this.#perSecond = perSecond;
  }

  /** True (and counted) when one more hash fits this second. */
  take(): boolean {
    const now = this.#clock.nowMs();
    if (now - this.#windowStartMs >= 1000) {
      this.#windowStartMs = now;
      this.#used = 0;
    }
    if (this.#used >= this.#perSecond) return false;
    this.#used++;
    return true;
  }
}

export interface HashKVEndpointContext {
  clusterId: bigint;
  /** HashKV at `revision` (0: the current one); throws EtcdError Compacted / FutureRev. */
  hashKV(revision: bigint): PeerHashKV;
  budget: HashKVBudget;
}

export interface SimpleAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function textAnswer(status: number, text: string): SimpleAnswer {
  return { status, headers: {}, body: `${text}\n` };
}

/** Answers one request whose body has been read (undefined: it was longer than the bound). */
export function answerHashKV(ctx: HashKVEndpointContext, clusterIdHeader: string | undefined, body: string | undefined): SimpleAnswer {
  if (clusterIdHeader !== undefined && clusterIdHeader !== "" && idFromHex(clusterIdHeader) !== ctx.clusterId) {
    return textAnswer(412, CLUSTER_ID_MISMATCH_TEXT);
  }
  if (body === undefined) return textAnswer(400, "error reading body");
  const revision = decodeHashKVRequest(body);
  if (revision === undefined) return textAnswer(400, "error unmarshalling request");
  if (!ctx.budget.take()) return textAnswer(429, "too many hashkv requests");
  let h: PeerHashKV;
  try {
    h = ctx.hashKV(revision);
  } catch (err) {
    if (isEtcdError(err) && err.kind === "Compacted") return textAnswer(400, COMPACTED_TEXT);
    if (isEtcdError(err) && err.kind === "FutureRev") return textAnswer(400, FUTURE_REV_TEXT);
    throw err;
  }
  return {
    status: 200,
    headers: { "content-type": "application/json", [HEADER_CLUSTER_ID]: idToHex(ctx.clusterId) },
    body: encodeHashKVResponse(h),
  };
}

/** `{"revision":N}` → N; an absent revision is 0 (the current one), as Go's decoder leaves it. */
export function decodeHashKVRequest(body: string): bigint | undefined {
  try {
    const parsed = JSON.parse(quoteIntegers(body, ["revision"])) as unknown;
    return integerField(asObject(parsed), "revision") ?? 0n;
  } catch {
    return undefined;
  }
}

export function encodeHashKVRequest(revision: bigint): string {
  return `{"revision":${revision}}`;
}

/** etcd's JSON form: zero fields left out (omitempty), numbers as JSON numbers. */
export function encodeHashKVResponse(h: PeerHashKV): string {
  const fields = [`"header":{${h.currentRevision !== 0n ? `"revision":${h.currentRevision}` : ""}}`];
  if (h.hash !== 0) fields.push(`"hash":${h.hash}`);
  if (h.compactRevision !== 0n) fields.push(`"compact_revision":${h.compactRevision}`);
  if (h.hashRevision !== 0n) fields.push(`"hash_revision":${h.hashRevision}`);
  return `{${fields.join(",")}}`;
}

/** Reads a peer's answer; throws on anything that is not etcd's HashKVResponse. */
export function decodeHashKVResponse(body: string): PeerHashKV {
  const o = asObject(JSON.parse(quoteIntegers(body, ["revision", "compact_revision", "hash_revision", "hash"])) as unknown);
  const hash = integerField(o, "hash") ?? 0n;
  if (hash < 0n || hash > 0xffff_ffffn) throw new Error("hashkv: hash is not a 32-bit unsigned number");
  return {
    hash: Number(hash),
    compactRevision: integerField(o, "compact_revision") ?? 0n,
    hashRevision: integerField(o, "hash_revision") ?? 0n,
    currentRevision: o["header"] === undefined ? 0n : (integerField(asObject(o["header"]), "revision") ?? 0n),
  };
}

/**
 * Reads a request body up to `maxBytes`; undefined when it is longer (the
 * rest is not read) or the stream fails.
 */
export function readBoundedBody(stream: Readable, maxBytes: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (value: string | undefined): void => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("error", onError);
      resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        stream.pause();
        done(undefined);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => done(Buffer.concat(chunks).toString("utf8"));
    const onError = (): void => done(undefined);
    stream.on("data", onData);
    stream.on("end", onEnd);
    stream.on("error", onError);
  });
}

/** Puts the named integer fields in quotes, so JSON.parse keeps every digit. */
function quoteIntegers(text: string, names: readonly string[]): string {
  const pattern = new RegExp(`(?<!\\\\)"(${names.join("|")})"(\\s*):(\\s*)(-?\\d+)(?=\\s*[,}])`, "g");
  return text.replace(pattern, '"$1"$2:$3"$4"');
}

function asObject(v: unknown): Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("hashkv: expected a JSON object");
  return v as Record<string, unknown>;
}

/** A field that was an integer (quoted by quoteIntegers): its value; absent → undefined; anything else throws. */
function integerField(o: Record<string, unknown>, name: string): bigint | undefined {
  const v = o[name];
  if (v === undefined) return undefined;
  if (typeof v === "string" && /^-?\d+$/.test(v)) return BigInt(v);
  throw new Error(`hashkv: ${name} is not an integer`);
}
