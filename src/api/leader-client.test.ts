// A follower's forwarded renewals and TimeToLive carry the caller's token to the leader,
// and the mark that keeps the member's own certificate from being taken for the caller.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { LeaseService, LeaseTimeToLiveRequest, MemberPromoteRequest, ClusterService } from "../gen/etcdserverpb/rpc.js";
import type { Credentials } from "../server/api.js";
import { GATEWAY_METADATA, credentialsReader } from "./credentials.js";
import { serveForTest, type ServedForTest } from "./grpc/test-support.js";
import { LeaderClient } from "./leader-client.js";
import type { CallContext } from "./rpc/contract.js";
import { bindService } from "./rpc/methods.js";

const HEADER = { clusterId: 1n, memberId: 2n, revision: 3n, raftTerm: 4n };
const seen: { method: string; creds: Credentials; marked: boolean }[] = [];
const read = credentialsReader({ clientCertAuth: false });
const record = (method: string, ctx: CallContext): void => void seen.push({ method, creds: read(ctx), marked: ctx.metadata(GATEWAY_METADATA) !== undefined });

let leader: ServedForTest;
let port = 0;

before(async () => {
  leader = await serveForTest([
    ...bindService(LeaseService, {
      leaseKeepAlive: async (requests, sink, ctx) => {
        record("keepalive", ctx);
        for await (const req of requests) sink.write({ header: HEADER, ID: req.ID, TTL: 30n });
      },
      leaseTimeToLive: async (req, ctx) => {
        record("timetolive", ctx);
        return { header: HEADER, ID: req.ID, TTL: 10n, grantedTTL: 30n, keys: [] };
      },
    }),
    ...bindService(ClusterService, {
      memberPromote: async (_req, ctx) => {
        record("promote", ctx);
        return { header: HEADER, members: [] };
      },
    }),
  ]);
  port = Number((leader.client.getChannel().getTarget() as string).split(":").at(-1));
});

after(() => leader.close());

test("forwarded calls carry the caller's token and the gateway's mark; without a token, only the mark", async () => {
  const client = new LeaderClient({ leader: () => 1n, clientUrls: () => [`http://127.0.0.1:${port}`] }, { wallMs: () => Date.now() });
  try {
    const signal = new AbortController().signal;
    const creds: Credentials = { token: "tok.5", commonName: "alice" };
    assert.equal(await client.renew(7n, signal, creds), 30n);
    assert.equal((await client.timeToLive(LeaseTimeToLiveRequest.fromPartial({ ID: 7n }), signal, creds))?.TTL, 10n);
    await client.memberPromote(MemberPromoteRequest.fromPartial({ ID: 9n }), signal, creds);
    await client.renew(7n, signal);
    assert.deepEqual(seen, [
      { method: "keepalive", creds: { token: "tok.5", commonName: undefined }, marked: true },
      { method: "timetolive", creds: { token: "tok.5", commonName: undefined }, marked: true },
      { method: "promote", creds: { token: "tok.5", commonName: undefined }, marked: true },
      { method: "keepalive", creds: { token: undefined, commonName: undefined }, marked: true },
    ]);
  } finally {
    client.close();
  }
});
