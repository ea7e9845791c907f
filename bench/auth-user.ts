/**
 * Auth for the KV bench, as an operator turns it on: with Debian's etcdctl, a
 * root user, a user (not root) whose one role may read and write the
 * benchmark's key prefix, and `auth enable`. The server keeps its default
 * simple tokens; etcdload then authenticates every connection as that user
 * and sends its token with each request, so every request is checked against
 * the role's permission. The same steps for real etcd and ours.
 */
import { etcdctl } from "../test/harness/etcdctl.js";

/**
 * The prefix of the auth rows' keys. Two bytes, so that with etcdload's
 * 8-byte keys (`--key-size` pads the index) a key is as long as in the
 * plain rows: "k/012345" instead of "00012345".
 */
export const BENCH_KEY_PREFIX = "k/";

const BENCH_USER = "bench";
const BENCH_ROLE = "bench-rw";
const PASSWORD = "bench-password";

/** Sets up the user and enables auth on the server at `clientUrl`; returns etcdload's flags to act as that user. */
export async function enableAuthForBenchUser(clientUrl: string): Promise<string[]> {
  const steps = [
    ["user", "add", "root", "--new-user-password", PASSWORD],
    ["user", "add", BENCH_USER, "--new-user-password", PASSWORD],
    ["role", "add", BENCH_ROLE],
    ["role", "grant-permission", BENCH_ROLE, "readwrite", BENCH_KEY_PREFIX, "--prefix=true"],
    ["user", "grant-role", BENCH_USER, BENCH_ROLE],
    ["auth", "enable"],
  ];
  for (const args of steps) {
    const r = await etcdctl(clientUrl, args);
    if (r.code !== 0) throw new Error(`etcdctl ${args.join(" ")} against ${clientUrl}: ${r.stderr}${r.stdout}`);
  }
  return ["--user", BENCH_USER, "--password", PASSWORD, "--prefix", BENCH_KEY_PREFIX];
}
