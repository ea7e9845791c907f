/**
 * `npm run test:raft`: runs the raft suite (test/raft plus the colocated
 * unit tests under src/raft) through the project's test runner, then prints
 * one summary line naming how many randomized seeds were checked.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const summaryFile = join(tmpdir(), `raft-suite-${process.pid}.json`);
const started = performance.now();

const child = spawn(process.execPath, [join(root, "scripts", "test.mjs"), "raft", "--", join(root, "dist", "src", "raft")], {
  cwd: root,
  env: { ...process.env, RAFT_SUMMARY_FILE: summaryFile },
  stdio: ["inherit", "pipe", "inherit"],
});

let tail = "";
child.stdout.on("data", (chunk: Buffer) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString()).slice(-4000);
});

child.on("close", (code) => {
  const count = (label: string): number => Number(new RegExp(`ℹ ${label} (\\d+)`).exec(tail)?.[1] ?? NaN);
  let seeds = "no randomized seeds";
  if (existsSync(summaryFile)) {
    const s = JSON.parse(readFileSync(summaryFile, "utf8")) as { seeds: number; failed: number; events: number };
    seeds = `${s.seeds} randomized seeds checked (${s.events} events each, ${s.failed} failing)`;
    rmSync(summaryFile);
  } else if (process.env["RAFT_SEED"] !== undefined) {
    seeds = `1 randomized seed replayed (${process.env["RAFT_SEED"]})`;
  }
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  const verdict = code === 0 ? "PASS" : "FAIL";
  console.log(`raft suite ${verdict}: ${count("pass")} tests passed, ${count("fail")} failed; ${seeds}; ${secs}s`);
  process.exit(code ?? 1);
});
