import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeMember, encodeMember, memberKey } from "./member.js";

test("members are stored as etcd's JSON with an exact 64-bit id", () => {
  const m = { id: 11417610130673999598n, name: "ref", peerUrls: ["http://127.0.0.1:22380"], clientUrls: ["http://127.0.0.1:22379"], isLearner: false };
  const json = encodeMember(m).toString();
  assert.equal(json, '{"id":11417610130673999598,"peerURLs":["http://127.0.0.1:22380"],"name":"ref","clientURLs":["http://127.0.0.1:22379"]}');
  assert.deepEqual(decodeMember(Buffer.from(json)), m);
  assert.equal(memberKey(m.id).toString(), "9e737febb6b99eee");
});

test("an unstarted learner has no name or client URLs in its JSON", () => {
  const m = { id: 1n, name: "", peerUrls: ["http://a:2380"], clientUrls: [], isLearner: true };
  assert.equal(encodeMember(m).toString(), '{"id":1,"peerURLs":["http://a:2380"],"isLearner":true}');
  assert.deepEqual(decodeMember(encodeMember(m)), m);
});

import { decodeConfState, encodeConfState } from "./conf-state.js";

test("conf state round-trips through etcd's JSON with exact 64-bit ids", () => {
  const cs = { voters: [11417610130673999598n, 2n], learners: [3n], votersOutgoing: [], learnersNext: [], autoLeave: false };
  const text = encodeConfState(cs).toString();
  assert.equal(text, '{"voters":[11417610130673999598,2],"learners":[3]}');
  assert.deepEqual(decodeConfState(Buffer.from(text)), cs);
  assert.deepEqual(decodeConfState(Buffer.from("{}")), { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false });
});
