/**
 * Which servers the auth suite drives. Both by default; `AUTH_TEST_ONLY=real`
 * runs the scripts against real etcd alone, which proves a test itself
 * (its expectations are what etcd 3.4.23 does) without our server.
 */
import type { Flavor } from "../harness/server-process.js";

export const ONLY_REAL = process.env["AUTH_TEST_ONLY"] === "real";

export const FLAVORS: readonly Flavor[] = ONLY_REAL ? ["real"] : ["real", "ours"];
