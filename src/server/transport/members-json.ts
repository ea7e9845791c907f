/**
 * The member list as peers exchange it on `GET /members`: a JSON array of
 * etcd's stored member form, with the cluster id in the `X-Etcd-Cluster-ID`
 * header. A member joining with `--initial-cluster-state existing` reads it
 * to learn the cluster id and the members. Ids are full 64-bit numbers in the
 * JSON text, so they are read as text, never through a lossy JS number.
 * @module
 */
import * as http from "node:http";
import * as https from "node:https";
import { clientConnectOptions, type TlsClientSettings } from "../../tls/index.js";
import type { Member } from "../membership/member.js";
import { encodeMember } from "../membership/member.js";
import { handshakeProblem, newDialTrace } from "./dial-failure.js";
import { HEADER_CLUSTER_ID, idFromHex } from "./identity.js";

export function encodeMembersJson(members: readonly Member[]): string {
  return `[${members.map((m) => encodeMember(m).toString("utf8")).join(",")}]\n`;
}

export function decodeMembersJson(text: string): Member[] {
  // Quote every "id": <digits> so JSON.parse keeps all 64 bits.
  const quoted = text.replace(/(?<!\\)"id"(\s*):(\s*)(\d+)/g, '"id"$1:$2"$3"');
  const parsed = JSON.parse(quoted) as unknown;
  if (!Array.isArray(parsed)) throw new Error("members: expected a JSON array");
  return parsed.map((raw: unknown) => {
    const m = raw as { id?: string; name?: string; peerURLs?: string[]; clientURLs?: string[]; isLearner?: boolean };
    if (typeof m.id !== "string") throw new Error("members: member without an id");
    return {
      id: BigInt(m.id),
      name: m.name ?? "",
      peerUrls: m.peerURLs ?? [],
      clientUrls: m.clientURLs ?? [],
      isLearner: m.isLearner ?? false,
    };
  });
}

export interface RemoteCluster {
  clusterId: bigint;
  members: Member[];
  /** The peer URL that answered. */
  from: string;
}

/**
 * Asks the given peer URLs, in order, for the member list; the first good
 * answer wins. Rejects with every URL's failure when none answers.
 * Works against our members and real etcd (plain HTTP/1.1 GET). https URLs
 * present `tls`'s certificate (this member's peer certificate) and check
 * the peer with its CA.
 */
export async function fetchClusterMembers(
  peerUrls: readonly string[],
  options?: { timeoutMs?: number; tls?: TlsClientSettings },
): Promise<RemoteCluster> {
  const failures: string[] = [];
  for (const url of peerUrls) {
    try {
      const { status, headers, body } = await httpGet(new URL("/members", url), options?.timeoutMs ?? 2_000, options?.tls);
      if (status !== 200) throw new Error(`status ${status}: ${body.trim()}`);
      const header = headers[HEADER_CLUSTER_ID];
      const clusterId = idFromHex(Array.isArray(header) ? header[0] : header);
      if (clusterId === undefined) throw new Error("answer without a cluster id");
      return { clusterId, members: decodeMembersJson(body), from: url };
    } catch (err) {
      failures.push(`${url}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  throw new Error(`could not fetch the member list from any peer (${failures.join("; ")})`);
}

function httpGet(
  url: URL,
  timeoutMs: number,
  tls: TlsClientSettings | undefined,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === "https:";
    const trace = newDialTrace(secure);
    const get = secure ? https.get : http.get;
    // Taken at each request, so a rotated certificate is presented on the next one.
    const tlsOptions = secure && tls !== undefined ? clientConnectOptions(tls, ["http/1.1"]) : {};
    const req = get(url, { ...tlsOptions, timeout: timeoutMs, agent: false }, (res) => {
      trace.spokeHttp = true;
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
        if (body.length > 16 * 1024 * 1024) req.destroy(new Error("member list too large"));
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on("error", reject);
    });
    req.once("socket", (socket) => socket.once("connect", () => (trace.connected = true)));
    let timedOut = false;
    req.on("timeout", () => {
      timedOut = true;
      req.destroy(new Error(`no answer in ${timeoutMs} ms`));
    });
    req.on("error", (err) => {
      trace.error ??= err;
      const problem = timedOut ? undefined : handshakeProblem(trace);
      reject(problem !== undefined ? new Error(problem) : err);
    });
  });
}
