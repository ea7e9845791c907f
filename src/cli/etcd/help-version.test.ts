import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { API_VERSION, CLUSTER_VERSION, PRODUCT_VERSION, SERVER_VERSION } from "../../version.js";
import { HELP_GROUPS } from "./flags.js";
import { helpText, USAGE } from "./help.js";
import { parse, repoRoot } from "./test-support.js";

function packageJson(): { name: string; version: string } {
  return JSON.parse(readFileSync(join(repoRoot(), "package.json"), "utf8")) as { name: string; version: string };
}

describe("--version", () => {
  it("prints etcd's first lines, then Node.js in place of Go", () => {
    const r = parse(["--version"]);
    assert.deepEqual(r, {
      kind: "version",
      text: "etcd Version: 3.6.0\nGit SHA: Not provided\nNode.js Version: v20.0.0\nOS/Arch: linux/x64\netcd-ts Version: 0.1.0\n",
    });
  });

  it("is printed before the config file or environment is looked at (as etcd)", () => {
    assert.equal(parse(["--version", "--config-file=/missing"], { ETCD_NAME: "x" }).kind, "version");
  });

  it("version constants", () => {
    assert.equal(SERVER_VERSION, "3.6.0");
    assert.equal(CLUSTER_VERSION, "3.6.0");
    assert.equal(API_VERSION, "3.6");
  });

  it("PRODUCT_VERSION matches package.json", () => assert.equal(PRODUCT_VERSION, packageJson().version));
});

describe("-h", () => {
  const text = helpText();

  it("is returned as the help outcome", () => assert.deepEqual(parse(["-h"]), { kind: "help", text }));

  it("starts with the usage block etcd prints with flag errors", () => assert.ok(text.startsWith(USAGE)));

  it("lists the groups in etcd's order", () => {
    let last = -1;
    for (const g of HELP_GROUPS) {
      const at = text.indexOf(`\n${g}:\n`);
      assert.ok(at > last, g);
      last = at;
    }
  });

  it("explains the environment and lists the feature gates with their defaults", () => {
    assert.match(text, /ETCD_SOME_FLAG/);
    assert.match(text, /\n {6}InitialCorruptCheck=true\|false \(ALPHA - default=false\)\n/);
    assert.match(text, /\n {6}TxnModeWriteWithSharedBuffer=true\|false \(BETA - default=true\)\n/);
  });

  it("shows the 3.6 defaults etcd documents", () => {
    for (const line of [
      "  --name 'default'",
      "  --data-dir '${name}.etcd'",
      "  --snapshot-count '10000'",
      "  --max-request-bytes '1572864'",
      "  --max-txn-ops '128'",
      "  --pre-vote 'true'",
      "  --logger 'zap'",
      "  --log-outputs 'default'",
      "  --initial-cluster 'default=http://localhost:2380'",
      "  --listen-client-urls 'http://localhost:2379'",
      "  --quota-backend-bytes '0'",
      "  --watch-progress-notify-interval '10m0s'",
    ]) {
      assert.ok(text.includes(line + "\n"), line);
    }
  });

  it("names our own flag and our own stream default as ours", () => {
    assert.match(text, /\n {2}--max-client-connections '10000'\n {4}[^\n]*0 means no limit\. Ours: etcd has no such flag\.\n/);
    assert.match(text, /\n {2}--max-concurrent-streams '4294967295'\n {4}[^\n]*means 1000 here \(ours/);
  });

  it("does not list the silently ignored etcd 2 flags", () => {
    assert.ok(!text.includes("--peer-heartbeat-interval"));
    assert.ok(!text.includes("--config-file '"));
  });
});
