/**
 * A cluster member and its stored form. The stored form is etcd's JSON
 * ({"id":<uint64>,"peerURLs":[…],"isLearner":true?,"name":"…"?,"clientURLs":[…]?})
 * so a members bucket reads the same in both implementations. The id is a
 * full 64-bit number in that JSON, which JSON.parse would round: it is read
 * and written as text.
 * @module
 */

export interface Member {
  readonly id: bigint;
  /** Empty until the member has started and published its attributes. */
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

export function encodeMember(m: Member): Buffer {
  let json = `{"id":${m.id.toString()},"peerURLs":${JSON.stringify(m.peerUrls)}`;
  if (m.isLearner) json += `,"isLearner":true`;
  if (m.name !== "") json += `,"name":${JSON.stringify(m.name)}`;
  if (m.clientUrls.length > 0) json += `,"clientURLs":${JSON.stringify(m.clientUrls)}`;
  return Buffer.from(json + "}", "utf8");
}

/**
 * A conf change's context: the member as JSON, plus `"isPromote":true` when a
 * learner becomes a voter (etcd embeds the member in its context struct, so
 * the two share one flat JSON object).
 */
export function encodeConfChangeContext(m: Member, isPromote: boolean): Buffer {
  if (!isPromote) return encodeMember(m);
  const json = encodeMember(m).toString("utf8");
  return Buffer.from(`${json.slice(0, -1)},"isPromote":true}`, "utf8");
}

export function decodeConfChangeContext(data: Buffer): { member: Member; isPromote: boolean } {
  const member = decodeMember(data);
  const parsed = JSON.parse(data.toString("utf8")) as { isPromote?: boolean };
  return { member, isPromote: parsed.isPromote === true };
}

export function decodeMember(data: Buffer): Member {
  const text = data.toString("utf8");
  const idMatch = /"id"\s*:\s*(\d+)/.exec(text);
  if (idMatch === null) throw new Error(`membership: stored member without id: ${text}`);
  const parsed = JSON.parse(text) as { peerURLs?: string[]; isLearner?: boolean; name?: string; clientURLs?: string[] };
  return {
    id: BigInt(idMatch[1]!),
    name: parsed.name ?? "",
    peerUrls: parsed.peerURLs ?? [],
    clientUrls: parsed.clientURLs ?? [],
    isLearner: parsed.isLearner ?? false,
  };
}

/** Stored member keys are the id in lower-case hex (etcd's types.ID.String()). */
export function memberKey(id: bigint): Buffer {
  return Buffer.from(id.toString(16), "latin1");
}
