/**
 * `--max-client-connections` caps the connections the client port serves at
 * once: past the cap a connection is not served (closed, or left in the
 * accept queue), so a client opening connections in bulk cannot make the
 * server hold state for all of them, and the connections already served
 * (the probe's) go on working.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { sleep, Target } from "./harness.js";
import { RawConnection, Type } from "./raw-h2.js";

const CAP = 100;
const OPENED = 300;

let target: Target;

before(async () => {
  target = await Target.start("ours", ["--max-client-connections", String(CAP)]);
});

after(async () => {
  await target?.stop();
});

test(`--max-client-connections ${CAP}: of ${OPENED} connections opened at once, at most ${CAP} are served`, { timeout: 60_000 }, async (t) => {
  const conns: RawConnection[] = [];
  try {
    const served = await target.survive(t, async () => {
      for (let i = 0; i < OPENED; i++) {
        // Connecting may itself be refused or time out past the cap: that is a connection not served.
        const conn = await RawConnection.open(target.port).catch(() => undefined);
        if (conn !== undefined) conns.push(conn);
      }
      await sleep(3_000);
      // Served: the server answered the preface with its SETTINGS.
      return conns.filter((c) => c.frames.some((f) => f.type === Type.Settings && (f.flags & 1) === 0)).length;
    }, (served) => t.diagnostic(`${served} of ${OPENED} connections served; ${conns.filter((c) => c.closed).length} closed by the server`));
    // The probe's own connection is one of the CAP.
    assert.ok(served <= CAP, `${served} connections served with --max-client-connections ${CAP}`);
  } finally {
    for (const c of conns) c.destroy();
  }
});
