import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEtcdUrl } from "../../pkg/go-url.js";
import { parseGoDuration, parseGoInt, parseGoUint } from "./go-value.js";
import { repoRoot } from "./test-support.js";

/**
 * Differential check against Go itself: testdata/go-stdlib-golden.json holds
 * ~2,000 hand-picked and seeded-random inputs with the answers of Go 1.19's
 * time.ParseDuration, strconv.ParseUint/ParseInt(s, 0, 64) and url.Parse plus
 * etcd's URL rules (see testdata/gen/). Our re-implementations must agree on
 * every one, including error texts.
 */
interface Golden {
  durations: [string, string][];
  uints: [string, string][];
  ints: [string, string][];
  urls: [string, string][];
}

const golden = JSON.parse(readFileSync(join(repoRoot(), "src/cli/etcd/testdata/go-stdlib-golden.json"), "utf8")) as Golden;

function numAnswer(r: bigint | "syntax" | "range"): string {
  if (typeof r === "bigint") return `OK ${r}`;
  return r === "syntax" ? "ERR invalid syntax" : "ERR value out of range";
}

function mismatches(rows: [string, string][], ours: (input: string) => string): string[] {
  return rows.filter(([input, go]) => ours(input) !== go).map(([input, go]) => `${JSON.stringify(input)}: go ${go}, ours ${ours(input)}`);
}

describe("agreement with Go's standard library (golden answers from Go 1.19)", () => {
  it(`time.ParseDuration (${golden.durations.length} inputs)`, () => {
    assert.deepEqual(mismatches(golden.durations, (s) => { const r = parseGoDuration(s); return typeof r === "bigint" ? `OK ${r}` : `ERR ${r.error}`; }), []);
  });

  it(`strconv.ParseUint base 0 (${golden.uints.length} inputs)`, () => {
    assert.deepEqual(mismatches(golden.uints, (s) => numAnswer(parseGoUint(s, 64))), []);
  });

  it(`strconv.ParseInt base 0 (${golden.ints.length} inputs)`, () => {
    assert.deepEqual(mismatches(golden.ints, (s) => numAnswer(parseGoInt(s, 64))), []);
  });

  it(`url.Parse + etcd's types.NewURLs rules (${golden.urls.length} inputs)`, () => {
    assert.deepEqual(mismatches(golden.urls, (s) => { try { return `OK ${parseEtcdUrl(s).href}`; } catch (e) { return `ERR ${(e as Error).message}`; } }), []);
  });

  it("the golden file is not trivially small", () => {
    assert.ok(golden.durations.length > 400 && golden.urls.length > 600);
  });
});
