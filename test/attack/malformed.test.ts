/**
 * Malformed frames of every type (malformed-cases.ts), each on its own
 * connection: the server answers with the error RFC 7540 requires and stays
 * up; an unknown frame type is ignored.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Target } from "./harness.js";
import { answerTo, MALFORMED } from "./malformed-cases.js";
import { codeName, frame, ping, RawConnection, Type } from "./raw-h2.js";

let target: Target;

before(async () => {
  target = await Target.start("ours");
});

after(async () => {
  await target?.stop();
});

test("malformed frames of every type get the error RFC 7540 requires", { timeout: 120_000 }, async (t) => {
  const wrong = await target.survive(t, async () => {
    const wrong: string[] = [];
    for (const c of MALFORMED) {
      const answer = await answerTo(target.port, c);
      if (answer.code !== c.code) wrong.push(`${c.name}: ${answer.how}, want ${codeName(c.code)}`);
    }
    return wrong;
  });
  assert.deepEqual(wrong, [], `${wrong.length} of ${MALFORMED.length} malformed frames got a wrong answer`);
});

test("a frame of an unknown type is ignored: the connection goes on", { timeout: 30_000 }, async () => {
  const conn = await RawConnection.open(target.port);
  try {
    conn.write(Buffer.concat([frame(0xfa, 0xff, 0, Buffer.from("whatever")), frame(0xfb, 0, 7, Buffer.alloc(100)), ping(Buffer.from("after!!!"))]));
    const ponged = await conn.waitFor(() => conn.frames.some((f) => f.type === Type.Ping && (f.flags & 1) === 1 && f.payload.toString() === "after!!!"), 5_000);
    assert.ok(ponged, `no PING ACK after unknown frames: ${conn.describeEnd()}`);
    assert.equal(conn.goaway, undefined);
  } finally {
    conn.destroy();
  }
});
