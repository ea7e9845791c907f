/**
 * Asks every peer for its HashKV at a revision over the peer URLs
 * (`GET /members/hashkv`, etcd's `getPeerHashKVs`): each of a peer's URLs in
 * turn until one answers; a peer none of whose URLs answers is reported with
 * the last failure. https URLs present this member's peer client
 * certificate. Plain HTTP/1.1, as etcd's own client speaks it.
 * @module
 */
import * as http from "node:http";
import * as https from "node:https";
import type { Logger } from "../../pkg/logger.js";
import { clientConnectOptions, type TlsClientSettings } from "../../tls/index.js";
import { formatId } from "../membership/ids.js";
import {
  CLUSTER_ID_MISMATCH_TEXT,
  COMPACTED_TEXT,
  decodeHashKVResponse,
  encodeHashKVRequest,
  FUTURE_REV_TEXT,
  HASHKV_PATH,
  type PeerHashKV,
} from "../transport/index.js";

/** An answer is a few hundred bytes; a peer sending more is cut off. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** Why a peer gave no hash: the three etcd tells apart, or anything else. */
export type PeerHashFailure =
  | { kind: "compacted" }
  | { kind: "future-revision" }
  | { kind: "cluster-id-mismatch" }
  | { kind: "other"; message: string };

export interface PeerRef {
  id: bigint;
  peerUrls: readonly string[];
}

/** One peer's answer: its hash, or why there is none. */
export type PeerHashResult = PeerRef & ({ ok: true; hash: PeerHashKV } | { ok: false; failure: PeerHashFailure });

export interface PeerHashClientOptions {
  clusterId: bigint;
  /** Each request's bound (etcd: the request timeout). */
  timeoutMs: number;
  tls?: TlsClientSettings;
  logger: Logger;
  memberId: bigint;
}

export function describeFailure(f: PeerHashFailure): string {
  switch (f.kind) {
    case "compacted":
      return COMPACTED_TEXT;
    case "future-revision":
      return FUTURE_REV_TEXT;
    case "cluster-id-mismatch":
      return CLUSTER_ID_MISMATCH_TEXT;
    case "other":
      return f.message;
  }
}

/** The HashKV of every peer at `revision`, one result per peer with at least one URL, in the given order. */
export async function fetchPeerHashes(peers: readonly PeerRef[], revision: bigint, options: PeerHashClientOptions): Promise<PeerHashResult[]> {
  const withUrls = peers.filter((p) => p.peerUrls.length > 0);
  return Promise.all(withUrls.map((p) => fetchOnePeer(p, revision, options)));
}

async function fetchOnePeer(peer: PeerRef, revision: bigint, options: PeerHashClientOptions): Promise<PeerHashResult> {
  let last: PeerHashFailure = { kind: "other", message: "no peer URL" };
  for (const url of peer.peerUrls) {
    const outcome = await fetchHashKV(url, revision, options);
    if (outcome.ok) return { ...peer, ok: true, hash: outcome.hash };
    last = outcome.failure;
    options.logger.warn(
      {
        "local-member-id": formatId(options.memberId),
        "requested-revision": String(revision),
        "remote-peer-endpoint": url,
        error: describeFailure(last),
      },
      "failed hash kv request",
    );
  }
  return { ...peer, ok: false, failure: last };
}

/** One `GET /members/hashkv` to one peer URL; never rejects. */
export function fetchHashKV(
  peerUrl: string,
  revision: bigint,
  options: Pick<PeerHashClientOptions, "clusterId" | "timeoutMs" | "tls">,
): Promise<{ ok: true; hash: PeerHashKV } | { ok: false; failure: PeerHashFailure }> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(HASHKV_PATH, peerUrl);
    } catch {
      resolve({ ok: false, failure: { kind: "other", message: `bad peer URL ${peerUrl}` } });
      return;
    }
    const secure = url.protocol === "https:";
    const body = encodeHashKVRequest(revision);
    // Taken at each request, so a rotated certificate is presented on the next one.
    const tlsOptions = secure && options.tls !== undefined ? clientConnectOptions(options.tls, ["http/1.1"]) : {};
    const request = secure ? https.request : http.request;
    let settled = false;
    const finish = (value: { ok: true; hash: PeerHashKV } | { ok: false; failure: PeerHashFailure }): void => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    const req = request(
      url,
      {
        ...tlsOptions,
        method: "GET",
        agent: false,
        timeout: options.timeoutMs,
        headers: {
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(body)),
          "x-etcd-cluster-id": options.clusterId.toString(16),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > MAX_ANSWER_BYTES) {
            req.destroy(new Error(`answer longer than ${MAX_ANSWER_BYTES} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on("end", () => finish(classify(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"))));
        res.on("error", (err) => finish({ ok: false, failure: { kind: "other", message: err.message } }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer in ${options.timeoutMs} ms`)));
    req.on("error", (err) => finish({ ok: false, failure: { kind: "other", message: err.message } }));
    req.end(body);
  });
}

/** etcd's reading of the answer: the status and the words in a refusal. */
function classify(status: number, text: string): { ok: true; hash: PeerHashKV } | { ok: false; failure: PeerHashFailure } {
  if (status === 400 && text.includes(COMPACTED_TEXT)) return { ok: false, failure: { kind: "compacted" } };
  if (status === 400 && text.includes(FUTURE_REV_TEXT)) return { ok: false, failure: { kind: "future-revision" } };
  if (status === 412 && text.includes(CLUSTER_ID_MISMATCH_TEXT)) return { ok: false, failure: { kind: "cluster-id-mismatch" } };
  if (status !== 200) return { ok: false, failure: { kind: "other", message: `unknown error: ${text.trim()}` } };
  try {
    return { ok: true, hash: decodeHashKVResponse(text) };
  } catch (err) {
    return { ok: false, failure: { kind: "other", message: err instanceof Error ? err.message : String(err) } };
  }
}
