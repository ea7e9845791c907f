/**
 * `/health`, `/livez` and `/readyz` with etcd 3.6's semantics.
 *
 * /health answers `{"health":"true","reason":""}` or 503 with the reason:
 * a raised alarm ("ALARM NOSPACE", unless `?exclude=NOSPACE`), no leader
 * ("RAFT NO LEADER", skipped with `?serializable=true`), or a failed quick
 * read ("RANGE ERROR:<etcd error>") — linearizable, so it goes through raft,
 * unless serializable was asked for.
 *
 * /livez and /readyz run named checks (`?exclude=<name>` skips one,
 * `?verbose` lists them as `[+]name ok`); each check also has its own
 * path (/readyz/linearizable_read). A failure answers 503 with every line.
 *
 * The reads carry no credentials: with auth enabled the server refuses
 * them with "user name is empty" (or "permission denied"), which means it
 * served them — past the ReadIndex round for a linearizable one — so they
 * count as healthy, as in etcd 3.5 (etcdhttp checkHealth).
 * @module
 */
import type { ServerResponse } from "node:http";
import { EtcdError, isEtcdError } from "../../pkg/errors.js";
import type { Logger } from "../../pkg/logger.js";
import { toWireError } from "../status.js";
import { goJsonString } from "./go-json.js";
import { goHttpError, goMethodNotAllowed } from "./go-http.js";

/** etcd's AlarmType numbers (etcdserverpb.AlarmType). */
const ALARM_NOSPACE = 1;
const ALARM_CORRUPT = 2;

export interface HealthSource {
  /** Alarms raised on this member's view of the cluster (local, no raft round). */
  alarms(): readonly { alarm: number }[];
  hasLeader(): boolean;
  /** A quick read (keys only, limit 1); rejects with the server's error. */
  read(serializable: boolean, signal: AbortSignal): Promise<unknown>;
}

/** The health metrics etcd exports; any prom-client counters and gauges fit. */
export interface HealthMetrics {
  healthSuccess: { inc(): void };
  healthFailures: { inc(): void };
  healthCheck: { set(labels: { type: string; name: string }, value: number): void };
  healthChecks: { inc(labels: { type: string; name: string; status: string }): void };
}

export interface HealthOptions {
  source: HealthSource;
  /** How long a read may take before the check fails (etcd: its request timeout). */
  timeoutMs: number;
  logger: Logger;
  metrics?: HealthMetrics;
}

export interface HealthAnswer {
  status: number;
  body: string;
  /** Set only where etcd sets it; otherwise Go's sniffing gives text/plain. */
  contentType: string;
  nosniff: boolean;
}

type Check = (signal: AbortSignal) => Promise<string | undefined>;

interface CheckSet {
  readonly type: "livez" | "readyz";
  readonly checks: ReadonlyMap<string, Check>;
}

export class HealthChecks {
  readonly #source: HealthSource;
  readonly #timeoutMs: number;
  readonly #logger: Logger;
  readonly #metrics: HealthMetrics | undefined;
  readonly #livez: CheckSet;
  readonly #readyz: CheckSet;

  constructor(options: HealthOptions) {
    this.#source = options.source;
    this.#timeoutMs = options.timeoutMs;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    const readCheck = (serializable: boolean): Check => async (signal) => {
      try {
        await this.#read(serializable, signal);
        return undefined;
      } catch (err) {
        return toWireError(err).message;
      }
    };
    const alarmCheck = (alarm: number, name: string): Check => async () =>
      this.#source.alarms().some((a) => a.alarm === alarm) ? `alarm activated: ${name}` : undefined;
    this.#livez = { type: "livez", checks: new Map([["serializable_read", readCheck(true)]]) };
    this.#readyz = {
      type: "readyz",
      checks: new Map([
        ["data_corruption", alarmCheck(ALARM_CORRUPT, "CORRUPT")],
        ["serializable_read", readCheck(true)],
        ["linearizable_read", readCheck(false)],
      ]),
    };
  }

  /** True for the paths answered here. */
  handles(path: string): boolean {
    if (path === "/health" || path === "/livez" || path === "/readyz") return true;
    const [, kind, name, ...rest] = path.split("/");
    if (rest.length > 0 || name === undefined) return false;
    const set = kind === "livez" ? this.#livez : kind === "readyz" ? this.#readyz : undefined;
    return set?.checks.has(name) ?? false;
  }

  /** Serves /health, /livez[/check] or /readyz[/check]. */
  async serve(method: string | undefined, path: string, query: URLSearchParams, res: ServerResponse): Promise<void> {
    if (method !== "GET") {
      goMethodNotAllowed(res, "GET");
      return;
    }
    const answer = path === "/health" ? await this.health(query) : await this.probe(path, query);
    if (answer.status !== 200) {
      goHttpError(res, answer.status, answer.body);
      return;
    }
    res.writeHead(200, {
      "content-type": answer.contentType,
      ...(answer.nosniff ? { "x-content-type-options": "nosniff" } : {}),
      "content-length": Buffer.byteLength(answer.body),
    });
    res.end(answer.body);
  }

  async health(query: URLSearchParams): Promise<HealthAnswer> {
    const excluded = new Set(query.getAll("exclude").filter((a) => a !== ""));
    const serializable = query.get("serializable") === "true";
    const reason = await this.#healthReason(excluded, serializable);
    const healthy = reason === "";
    if (healthy) this.#metrics?.healthSuccess.inc();
    else {
      this.#metrics?.healthFailures.inc();
      this.#logger.warn({ reason }, "serving /health false");
    }
    const body = `{"health":${healthy ? '"true"' : '"false"'},"reason":${goJsonString(reason)}}`;
    return { status: healthy ? 200 : 503, body, contentType: "text/plain; charset=utf-8", nosniff: false };
  }

  async #healthReason(excluded: ReadonlySet<string>, serializable: boolean): Promise<string> {
    for (const a of this.#source.alarms()) {
      const name = a.alarm === ALARM_NOSPACE ? "NOSPACE" : a.alarm === ALARM_CORRUPT ? "CORRUPT" : "NONE";
      if (excluded.has(name)) continue;
      return a.alarm === ALARM_NOSPACE ? "ALARM NOSPACE" : a.alarm === ALARM_CORRUPT ? "ALARM CORRUPT" : "ALARM UNKNOWN";
    }
    if (!serializable && !this.#source.hasLeader()) return "RAFT NO LEADER";
    const failed = await this.#withTimeout((signal) => this.#read(serializable, signal).then(() => undefined));
    return failed === undefined ? "" : `RANGE ERROR:${failed}`;
  }

  /** The quick read; a refusal by auth means the server answered, so it passes. */
  async #read(serializable: boolean, signal: AbortSignal): Promise<void> {
    try {
      await this.#source.read(serializable, signal);
    } catch (err) {
      if (isEtcdError(err, "UserEmpty") || isEtcdError(err, "PermissionDenied")) return;
      throw err;
    }
  }

  /** /livez, /readyz and their per-check paths. */
  async probe(path: string, query: URLSearchParams): Promise<HealthAnswer> {
    const [, kind, only] = path.split("/");
    const set = kind === "livez" ? this.#livez : this.#readyz;
    let names = [...set.checks.keys()];
    if (only !== undefined) names = [only];
    else {
      const excluded = new Set(query.getAll("exclude"));
      const unknown = [...excluded].filter((e) => e !== "" && !set.checks.has(e));
      if (unknown.length > 0) this.#logger.warn({ "missing-health-checks": unknown.join(",") }, "some health checks cannot be excluded");
      names = names.filter((n) => !excluded.has(n));
    }
    let report = "";
    let failed = false;
    for (const name of names) {
      const problem = await this.#withTimeout(set.checks.get(name)!);
      const ok = problem === undefined;
      report += ok ? `[+]${name} ok\n` : `[-]${name} failed: ${problem}\n`;
      failed ||= !ok;
      this.#metrics?.healthCheck.set({ type: set.type, name }, ok ? 1 : 0);
      this.#metrics?.healthChecks.inc({ type: set.type, name, status: ok ? "success" : "error" });
    }
    if (failed) {
      this.#logger.error({ path, reason: report }, "health check error");
      return { status: 503, body: report, contentType: "text/plain; charset=utf-8", nosniff: true };
    }
    const body = `${query.has("verbose") ? report : ""}ok\n`;
    return { status: 200, body, contentType: "text/plain; charset=utf-8", nosniff: true };
  }

  /** Runs a check under the request timeout; a check that takes too long fails with etcd's timeout error. */
  async #withTimeout(check: Check): Promise<string | undefined> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve(toWireError(new EtcdError("Timeout")).message);
      }, this.#timeoutMs);
    });
    try {
      return await Promise.race([check(controller.signal).catch((err: unknown) => toWireError(err).message), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
