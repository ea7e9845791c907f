/**
 * How a refused TLS client looks from the outside, the same against real
 * etcd and ours: the connection fails within PROMPT_MS (no hang), and
 * etcdctl 3.4, which retries a failed handshake until its command timeout,
 * exits 1 with "context deadline exceeded" when that timeout ends.
 * @module
 */
import assert from "node:assert/strict";
import { etcdctl, type CtlTls } from "../harness/etcdctl.js";

/** A refusal comes well within this, even on a loaded 2-core machine (they take milliseconds). */
export const PROMPT_MS = 5_000;

/** etcdctl's command timeout in refusal cases: it retries until then. */
const GIVE_UP_AFTER = "3s";
/** Its exit must come by then: the timeout plus a generous start-up allowance. */
const GIVE_UP_BOUND_MS = 15_000;

/** etcdctl `put` at `endpoint` fails as etcdctl fails against a refusing etcd: exit 1, "context deadline exceeded", on time. */
export async function assertEtcdctlGaveUp(endpoint: string, tls: CtlTls | undefined): Promise<void> {
  const started = Date.now();
  const r = await etcdctl(endpoint, ["put", "refused/k", "v"], { tls, dialTimeout: GIVE_UP_AFTER, commandTimeout: GIVE_UP_AFTER });
  const ms = Date.now() - started;
  assert.equal(r.code, 1, `etcdctl exit code (stdout ${r.stdout}, stderr ${r.stderr})`);
  assert.match(r.stderr, /Error: context deadline exceeded/);
  assert.ok(ms < GIVE_UP_BOUND_MS, `etcdctl gave up after ${ms} ms`);
}
