/**
 * An operator's auth session with Debian's etcdctl 3.4, the same commands
 * against real etcd 3.4.23 and ours: users (name:password, --interactive=false
 * from stdin, --new-user-password, --no-password), roles, permissions on a key,
 * a range, a prefix and from a key, grants and revokes, auth enable (first
 * without root), access as each user (get/put/del/txn/watch, leases,
 * lock/elect), wrong passwords, a password change, what root may not do
 * while auth is on, auth disable and the clean-up. Every command's stdout,
 * stderr and exit code must be the same line by line once what must differ
 * is normalised (ports, member and cluster ids, lease ids, revisions in
 * `-w json`, clientv3's log timestamps).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { etcdctl, type CtlResult } from "../harness/etcdctl.js";
import { startServers, type ServerProcess } from "../harness/server-process.js";
import { FLAVORS, ONLY_REAL } from "./flavors.js";
import { normaliseCtlOutput } from "./normalise.js";

interface Step {
  /** The command line after `etcdctl` (split on spaces); `{name}` is a value captured earlier on the same server. */
  line: string;
  /** `user:password` for --user. */
  as?: string;
  stdin?: string;
  /** For commands that do not end by themselves (watch, elect): killed after this long, as an operator's Ctrl-C. */
  killAfterMs?: number;
  /** Captures the first group of this pattern in stdout under `capture.name`. */
  capture?: { name: string; pattern: RegExp };
}

const ROOT = "root:root-pw";
const ALICE = "alice:alice-pw";
const BOB = "bob:bob-pw";
const EVE = "eve:eve-pw";
/** Long enough for a watch or a campaign to print what it prints at once on a loaded machine. */
const KILL_AFTER_MS = 5000;
const LEASE_ID = { name: "lease", pattern: /^lease ([0-9a-f]+) granted/m };

const PHASES: ReadonlyArray<readonly [string, readonly Step[]]> = [
  [
    "users and roles before auth is on",
    [
      { line: "user list" },
      { line: "role list" },
      { line: "auth enable" },
      { line: "user add root --interactive=false", stdin: "root-pw\n" },
      { line: "user add alice:alice-pw" },
      { line: "user add bob --new-user-password bob-pw" },
      { line: "user add carol --no-password" },
      { line: "user add eve --interactive=false", stdin: "eve-pw\n" },
      { line: "user add alice:other" },
      { line: "user add frank --interactive=false", stdin: "" },
      { line: "user list" },
      { line: "user list -w json" },
      { line: "role add reader" },
      { line: "role add writer" },
      { line: "role add prefixer" },
      { line: "role add fromkey" },
      { line: "role add reader" },
      { line: "role list" },
      { line: "role grant-permission reader read k1" },
      { line: "role grant-permission reader readwrite k2" },
      { line: "role grant-permission writer write r1 r5" },
      { line: "role grant-permission prefixer readwrite p/ --prefix" },
      { line: "role grant-permission fromkey read z --from-key" },
      { line: "role grant-permission reader bogus k3" },
      { line: "role grant-permission nobody read k1" },
      { line: "role grant-permission reader read" },
      { line: "role get reader" },
      { line: "role get writer" },
      { line: "role get prefixer" },
      { line: "role get fromkey" },
      { line: "role get reader -w json" },
      { line: "role get nobody" },
      { line: "user grant-role alice reader" },
      { line: "user grant-role alice prefixer" },
      { line: "user grant-role alice reader" },
      { line: "user grant-role bob writer" },
      { line: "user grant-role carol fromkey" },
      { line: "user grant-role eve prefixer" },
      { line: "user grant-role alice nobody" },
      { line: "user grant-role nobody reader" },
      { line: "user get alice" },
      { line: "user get alice --detail" },
      { line: "user get root --detail" },
      { line: "user get carol" },
      { line: "user get nobody" },
      { line: "user get alice -w json" },
      { line: "put k1 v1" },
      { line: "put k2 v2" },
      { line: "put r1 a" },
      { line: "put r4 b" },
      { line: "put p/a pa" },
      { line: "put z1 za" },
      { line: "put secret s" },
    ],
  ],
  [
    "auth enable (etcdctl gives root the root role first), and what a caller without a user gets",
    [
      { line: "auth enable" },
      { line: "user get root", as: ROOT },
      { line: "auth enable", as: ROOT },
      { line: "get k1" },
      { line: "put k1 x" },
      { line: "user list" },
      { line: "get k1", as: ROOT },
      { line: "user list", as: ROOT },
      { line: "role list", as: ROOT },
    ],
  ],
  [
    "alice: read on k1, readwrite on k2 and p/",
    [
      { line: "get k1", as: ALICE },
      { line: "get k1 -w json", as: ALICE },
      { line: "put k1 x", as: ALICE },
      { line: "get k2", as: ALICE },
      { line: "put k2 y", as: ALICE },
      { line: "get k2 --print-value-only", as: ALICE },
      { line: "get p/ --prefix", as: ALICE },
      { line: "put p/b b", as: ALICE },
      { line: "put p/b c --prev-kv", as: ALICE },
      { line: "del p/b --prev-kv", as: ALICE },
      { line: "del p/ --prefix", as: ALICE },
      { line: "put p/a pa", as: ALICE },
      { line: "get secret", as: ALICE },
      { line: "get r1", as: ALICE },
      { line: "get k --prefix", as: ALICE },
      { line: "get  --from-key", as: ALICE },
      { line: "del k1", as: ALICE },
      { line: "txn", as: ALICE, stdin: 'value("k1") = "v1"\n\nput p/t t\n\nput secret x\n\n' },
      { line: "txn", as: ALICE, stdin: 'value("k1") = "nope"\n\nput p/t t\n\nput p/f f\n\n' },
      { line: "txn", as: ALICE, stdin: 'value("p/a") = "pa"\n\nput p/t t2\nget p/t\n\n\n' },
      { line: "txn", as: ALICE, stdin: 'value("secret") = "s"\n\nput p/t t3\n\n\n' },
      { line: "watch p/ --prefix --rev 1", as: ALICE, killAfterMs: KILL_AFTER_MS },
      { line: "watch secret", as: ALICE, killAfterMs: KILL_AFTER_MS },
      { line: "lease grant 100", as: ALICE, capture: LEASE_ID },
      { line: "put p/l v --lease={lease}", as: ALICE },
      { line: "lease timetolive {lease} --keys", as: ALICE },
      { line: "lease keep-alive --once {lease}", as: ALICE },
      { line: "lease revoke {lease}", as: ALICE },
      { line: "get p/l", as: ALICE },
      { line: "lock p/lk echo locked", as: ALICE },
      { line: "elect p/el candidate", as: ALICE, killAfterMs: KILL_AFTER_MS },
      { line: "user get alice", as: ALICE },
      { line: "user get bob", as: ALICE },
      { line: "role get reader", as: ALICE },
      { line: "role get writer", as: ALICE },
      { line: "user list", as: ALICE },
      { line: "role list", as: ALICE },
      { line: "user add mallory:m", as: ALICE },
      { line: "role grant-permission reader readwrite secret", as: ALICE },
      { line: "auth disable", as: ALICE },
    ],
  ],
  [
    "bob: write on [r1, r5); carol without a password; eve; wrong passwords",
    [
      { line: "put r1 nb", as: BOB },
      { line: "put r4 nb", as: BOB },
      { line: "put r5 nb", as: BOB },
      { line: "get r1", as: BOB },
      { line: "del r4", as: BOB },
      { line: "del r1 --prev-kv", as: BOB },
      { line: "del r --prefix", as: BOB },
      { line: "lease grant 100", as: BOB, capture: LEASE_ID },
      { line: "put r2 leased --lease={lease}", as: BOB },
      { line: "lease timetolive {lease}", as: BOB },
      { line: "lease revoke {lease}", as: BOB },
      { line: "lock p/lk echo locked", as: BOB },
      { line: "watch r1", as: BOB, killAfterMs: KILL_AFTER_MS },
      { line: "get z1", as: "carol:anything" },
      { line: "get z1 --user carol --password anything" },
      { line: "get p/a", as: EVE },
      { line: "get p/a", as: "eve:nope" },
      { line: "get p/a --user eve --password eve-pw" },
      { line: "get p/a", as: "nobody:pw" },
      { line: "get k1", as: "alice:" },
    ],
  ],
  [
    "root changes passwords, permissions and roles while auth is on",
    [
      { line: "user passwd alice --interactive=false", as: ROOT, stdin: "alice-new\n" },
      { line: "get k1", as: ALICE },
      { line: "get k1", as: "alice:alice-new" },
      { line: "user passwd nobody --interactive=false", as: ROOT, stdin: "x\n" },
      { line: "role revoke-permission reader k1", as: ROOT },
      { line: "get k1", as: "alice:alice-new" },
      { line: "role revoke-permission reader k9", as: ROOT },
      { line: "role revoke-permission prefixer p/ --prefix", as: ROOT },
      { line: "get p/a", as: EVE },
      { line: "role grant-permission prefixer read p/ --prefix", as: ROOT },
      { line: "get p/a", as: EVE },
      { line: "put p/a e", as: EVE },
      { line: "role revoke-permission fromkey z --from-key", as: ROOT },
      { line: "role get fromkey", as: ROOT },
      { line: "role revoke-permission nobody k1", as: ROOT },
      { line: "user revoke-role alice prefixer", as: ROOT },
      { line: "get p/a", as: "alice:alice-new" },
      { line: "user revoke-role alice prefixer", as: ROOT },
      { line: "user revoke-role alice nobody", as: ROOT },
      { line: "user revoke-role nobody reader", as: ROOT },
      { line: "role grant-permission fromkey read z --from-key", as: ROOT },
      { line: "get z1", as: ROOT },
      { line: "role delete fromkey", as: ROOT },
      { line: "user get carol", as: ROOT },
      { line: "role delete fromkey", as: ROOT },
      { line: "user revoke-role root root", as: ROOT },
      { line: "role delete root", as: ROOT },
      { line: "user delete root", as: ROOT },
      { line: "user delete bob", as: ROOT },
      { line: "get r1", as: BOB },
      { line: "user get bob", as: ROOT },
      { line: "user delete bob", as: ROOT },
      { line: "user get alice --detail", as: ROOT },
      { line: "user list", as: ROOT },
      { line: "role list", as: ROOT },
      { line: "user list -w json", as: ROOT },
    ],
  ],
  [
    "auth disable and the clean-up",
    [
      { line: "auth disable" },
      { line: "auth disable", as: ROOT },
      { line: "auth disable" },
      { line: "get k1" },
      { line: "get k1", as: "alice:wrong" },
      { line: "user add bob2:pw" },
      { line: "user delete bob2" },
      { line: "user delete alice" },
      { line: "user delete carol" },
      { line: "user delete eve" },
      { line: "user delete frank" },
      { line: "user revoke-role root root" },
      { line: "user delete root" },
      { line: "role delete reader" },
      { line: "role delete writer" },
      { line: "role delete prefixer" },
      { line: "role delete root" },
      { line: "user list" },
      { line: "role list" },
      { line: "auth enable" },
      { line: "del  --from-key" },
      { line: "get  --from-key" },
    ],
  ],
];

/** Runs one step on one server, substituting that server's captured values. */
async function runStep(server: ServerProcess, step: Step, captured: Map<string, string>): Promise<CtlResult> {
  const line = step.line.replace(/\{(\w+)\}/g, (_, name: string) => captured.get(name) ?? `{${name} not captured}`);
  // Two spaces stand for an empty argument (etcd's "" key with --from-key).
  const args = line.split(" ");
  const result = await etcdctl(server.endpoint, [...(step.as !== undefined ? ["--user", step.as] : []), ...args], {
    stdin: step.stdin,
    timeoutMs: step.killAfterMs ?? 30_000,
  });
  const value = step.capture?.pattern.exec(result.stdout)?.[1];
  if (step.capture !== undefined && value !== undefined) captured.set(step.capture.name, value);
  return result;
}

function render(result: CtlResult, server: ServerProcess): string {
  const n = normaliseCtlOutput;
  return `exit ${result.code}\nstdout:\n${n(result.stdout, server)}\nstderr:\n${n(result.stderr, server)}`;
}

describe("etcdctl auth session: the same commands and outputs against real etcd and ours", () => {
  let servers: ServerProcess[] = [];
  const captured = new Map<ServerProcess, Map<string, string>>();
  before(async () => {
    servers = await startServers(FLAVORS.map((flavor) => ({ flavor })));
    for (const server of servers) captured.set(server, new Map());
  });
  after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
  });

  for (const [phase, steps] of PHASES) {
    test(phase, async () => {
      const differences: string[] = [];
      for (const step of steps) {
        const results = await Promise.all(servers.map((server) => runStep(server, step, captured.get(server)!)));
        const [real, ours] = results.map((result, i) => render(result, servers[i]!));
        const title = `$ etcdctl ${step.as !== undefined ? `--user ${step.as} ` : ""}${step.line}${step.stdin !== undefined ? `  <<< ${JSON.stringify(step.stdin)}` : ""}`;
        if (ONLY_REAL) console.log(`${title}\n${real}\n`);
        else if (real !== ours) differences.push(`${title}\n--- real\n${real}\n--- ours\n${ours}`);
      }
      assert.equal(differences.length, 0, `${differences.length} of ${steps.length} commands differ:\n\n${differences.join("\n\n")}`);
    });
  }
});
