/**
 * The auth matrix: every RPC of etcd's services (KV, Watch, Lease, Lock,
 * Election, Cluster, Maintenance, Auth) and the gateway's main routes, each
 * asked by eight callers — no token, a malformed token, an expired token, a
 * deleted user's token, a user without the permission, a user with it, that
 * user's token from before an auth change, root — of real etcd 3.4.23 and of
 * ours, set up alike (matrix-fixture.ts), once with simple tokens and once
 * with JWTs. Every cell (gRPC code and message, or the gateway's
 * HTTP status and error) must be the same, except the cells listed in
 * DELIBERATE_DIFFERENCES, where we follow a later etcd's security fix and
 * real 3.4.23 answers otherwise: there our answer must be the fixed one
 * (matrix-differences.ts).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { tempDir } from "../harness/paths.js";
import { startServers, type ServerProcess } from "../harness/server-process.js";
import { FLAVORS, ONLY_REAL } from "./flavors.js";
import { IDENTITIES, matrixServerArgs, prepareMatrixServer, writeJwtKeys, type Identity, type MatrixServer, type TokenKind } from "./matrix-fixture.js";
import { applies, DELIBERATE_DIFFERENCES, expectedOfOurs, OPEN_DIFFERENCES } from "./matrix-differences.js";
import { MATRIX_ROWS, type Row } from "./matrix-rows.js";

type Answers = Record<Identity, string>;

async function runRow(row: Row, m: MatrixServer, rowIndex: number): Promise<Answers> {
  const answers = {} as Answers;
  for (const [column, identity] of IDENTITIES.entries()) {
    const token = await m.tokenFor(identity);
    answers[identity] = await row.run({ m, identity, token, rootToken: () => m.rootToken(), tag: `r${rowIndex}c${column}` });
  }
  return answers;
}

function table(tokens: TokenKind, row: string, real: Answers, ours?: Answers): string {
  const width = Math.max(...IDENTITIES.map((i) => i.length));
  const lines = [`${row} (${tokens} tokens)`];
  for (const identity of IDENTITIES) {
    const expected = expectedOfOurs(tokens, row, identity, real[identity]);
    const mark = ours === undefined ? " " : ours[identity] === expected ? " " : "✗";
    lines.push(`${mark} ${identity.padEnd(width)} | real: ${real[identity]}${ours === undefined ? "" : `\n  ${"".padEnd(width)} | ours: ${ours[identity]}${expected !== real[identity] ? `  (expected: ${expected})` : ""}`}`);
  }
  return lines.join("\n");
}

for (const tokens of ["simple", "jwt"] as const satisfies readonly TokenKind[]) describe(`auth matrix with ${tokens} tokens: every RPC and gateway route × every kind of caller, real etcd and ours`, () => {
  const servers: ServerProcess[] = [];
  const prepared: MatrixServer[] = [];
  const realAnswers = new Map<string, Answers>();
  const keysDir = tempDir("auth-matrix-jwt");
  before(async () => {
    const extraArgs = matrixServerArgs(tokens, writeJwtKeys(keysDir.path));
    servers.push(...(await startServers(FLAVORS.map((flavor) => ({ flavor, extraArgs })))));
    prepared.push(...(await Promise.all(servers.map((server) => prepareMatrixServer(server)))));
  });
  after(async () => {
    for (const m of prepared) m.close();
    await Promise.all(servers.map((server) => server.stop()));
    keysDir.remove();
  });

  for (const [index, row] of MATRIX_ROWS.entries()) {
    test(row.name, async (t) => {
      const [real, ours] = await Promise.all(prepared.map((m) => runRow(row, m, index)));
      realAnswers.set(row.name, real!);
      if (ONLY_REAL) {
        console.log(table(tokens, row.name, real!));
        return;
      }
      const mismatched = IDENTITIES.filter((identity) => ours![identity] !== expectedOfOurs(tokens, row.name, identity, real![identity]));
      const open = OPEN_DIFFERENCES.filter(applies(tokens)).filter((d) => d.row === row.name);
      const openCells = open.flatMap((d) => d.identities);
      if (openCells.length > 0) {
        assert.deepEqual(mismatched, openCells, `the open differences of this row are not what they are listed as:\n${table(tokens, row.name, real!, ours)}`);
        t.todo(`open difference (${openCells.join(", ")}): ${open.map((d) => d.bug).join("; ")}`);
        return;
      }
      assert.deepEqual(mismatched, [], `cells that differ (✗):\n${table(tokens, row.name, real!, ours)}`);
    });
  }

  test("every deliberate difference is a cell of the matrix where real etcd answers otherwise", () => {
    for (const d of DELIBERATE_DIFFERENCES.filter(applies(tokens))) {
      const real = realAnswers.get(d.row);
      assert.ok(real !== undefined, `unknown row ${d.row}`);
      for (const identity of d.identities) assert.notEqual(real[identity], d.ours, `${d.row} × ${identity}: real etcd already answers ${d.ours}`);
    }
  });
});
