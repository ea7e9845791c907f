/**
 * Layer 3: data-driven interaction tests. Each script under
 * test/raft/testdata is run command by command against a fresh environment
 * and its output compared with the expected output in the script.
 *
 * RAFT_REWRITE=1 rewrites the scripts with the actual output. Review the
 * diff before committing a rewrite: it changes what the tests assert.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InteractionEnv } from "./interaction/env.js";
import { parseScript, renderScript } from "./interaction/script.js";

const dir = process.env["RAFT_TESTDATA"] ?? join(process.cwd(), "test", "raft", "testdata");
const rewrite = process.env["RAFT_REWRITE"] === "1";

test("interaction scripts are present", () => {
  assert.ok(existsSync(dir), `no testdata directory at ${dir} (run from the repository root or set RAFT_TESTDATA)`);
});

for (const file of existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(".txt")).sort() : []) {
  test(`interaction: ${file}`, () => {
    const path = join(dir, file);
    const cases = parseScript(readFileSync(path, "utf8"));
    const env = new InteractionEnv();
    const outputs: string[][] = [];
    for (const c of cases) {
      const got = env.run(c.command);
      outputs.push(got);
      if (!rewrite) assert.deepEqual(got, c.expected, `${file}:${c.line}: ${c.command}`);
    }
    if (rewrite) writeFileSync(path, renderScript(cases, outputs));
  });
}
