/**
 * A multi-process cluster for tests: N members of our bin/etcd or of the
 * real etcd (same flags) on loopback with free ports, peer traffic through
 * one {@link TcpProxy} per member (the URL each member advertises is its
 * proxy; it listens on its own port behind it), so tests can cut, delay and
 * heal links. Members can be killed (-9), stopped, restarted (with or
 * without their data), paused (SIGSTOP) and resumed, added and removed.
 * Every process started here is stopped here, by PID.
 * @module
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StatusResponse } from "../../src/gen/etcdserverpb/rpc.js";
import type { CertFiles, TestPki } from "../harness/certs.js";
import { etcdctl, type CtlOptions, type CtlResult } from "../harness/etcdctl.js";
import { connect, type Clients, type ClientTlsFiles } from "../harness/grpc-clients.js";
import { ourEtcdBin, realEtcdBin } from "../harness/paths.js";
import { freePorts } from "../harness/ports.js";
import { listenerTlsArgs, type Flavor } from "../harness/server-process.js";
import { callWithDeadline } from "./rpc.js";
import { connectionOwner } from "./socket-owner.js";
import { TcpProxy } from "./tcp-proxy.js";

const READY_LINE = "ready to serve client requests";
const OUTPUT_LIMIT = 4 * 1024 * 1024;

export interface ClusterOptions {
  flavor: Flavor;
  size: number;
  /** Peer traffic through proxies (needed for partitions and delays). Default true. */
  proxied?: boolean;
  token?: string;
  heartbeatMs?: number;
  electionMs?: number;
  /** More flags for every member (or per member name). */
  extraArgs?: string[] | ((name: string) => string[]);
  readyTimeoutMs?: number;
  /**
   * TLS everywhere, as a hardened deployment runs: every member gets a peer
   * certificate from this PKI (SAN 127.0.0.1, server and client auth) for
   * https peer and client URLs, with --client-cert-auth and
   * --peer-client-cert-auth; the harness's gRPC clients and etcdctl present
   * the PKI's client certificate.
   */
  tls?: TestPki;
}

export type MemberState = "running" | "paused" | "stopped";

export interface Member {
  readonly name: string;
  readonly clientPort: number;
  /** host:port for gRPC clients. */
  readonly endpoint: string;
  /** http:// or, with TLS, https:// client URL (what etcdctl is given). */
  readonly clientUrl: string;
  /** The port the member listens on for peers. */
  readonly peerPort: number;
  /** The URL the member advertises to peers (its proxy's when proxied). */
  readonly peerUrl: string;
  readonly dataDir: string;
  readonly proxy: TcpProxy | undefined;
  /** The member's certificate (client and peer listeners) when the cluster runs TLS. */
  readonly certificate: CertFiles | undefined;
  /** Member id, once learned from a Status answer. */
  id: bigint | undefined;
  state: MemberState;
  pid: number | undefined;
  /** Everything the member's processes printed, oldest first (capped). */
  output(): string;
}

interface MemberInternal extends Member {
  args: string[];
  child: ChildProcess | undefined;
  exited: Promise<number | null> | undefined;
  out: string;
  clients: Clients | undefined;
}

export interface LeaderInfo {
  index: number;
  id: bigint;
  term: bigint;
}

export class Cluster {
  readonly flavor: Flavor;
  readonly root: string;
  readonly #options: ClusterOptions;
  readonly #members: MemberInternal[] = [];
  readonly #namesByPid = new Map<number, string>();

  private constructor(options: ClusterOptions) {
    this.flavor = options.flavor;
    this.#options = options;
    this.root = mkdtempSync(join(tmpdir(), `cluster-${options.flavor}-`));
  }

  /** Starts `size` members as a new cluster and waits until every one serves clients. */
  static async start(options: ClusterOptions): Promise<Cluster> {
    const bin = options.flavor === "ours" ? ourEtcdBin : realEtcdBin;
    if (!existsSync(bin)) throw new Error(`${bin} not found`);
    const cluster = new Cluster(options);
    try {
      const names = Array.from({ length: options.size }, (_, i) => `m${i}`);
      const planned = await Promise.all(names.map((n) => cluster.#plan(n)));
      const initialCluster = planned.map((m) => `${m.name}=${m.peerUrl}`).join(",");
      for (const m of planned) m.args = cluster.#args(m, initialCluster, "new");
      await Promise.all(planned.map((m) => cluster.#spawn(m)));
      return cluster;
    } catch (err) {
      await cluster.stopAll();
      throw err;
    }
  }

  get members(): readonly Member[] {
    return this.#members;
  }

  member(i: number): Member {
    const m = this.#members[i];
    if (m === undefined) throw new Error(`no member ${i}`);
    return m;
  }

  /** gRPC endpoints (host:port) of members that are running (not paused or stopped). */
  endpoints(): string[] {
    return this.#members.filter((m) => m.state === "running").map((m) => m.endpoint);
  }

  /** Raw gRPC clients to member i (kept open until the member stops). */
  clients(i: number): Clients {
    const m = this.#internal(i);
    m.clients ??= connect(m.endpoint, this.clientTls());
    return m.clients;
  }

  /** The CA and client certificate the harness's clients use when the cluster runs TLS. */
  clientTls(): ClientTlsFiles | undefined {
    const pki = this.#options.tls;
    return pki === undefined ? undefined : { ca: pki.caFile, cert: pki.client.cert, key: pki.client.key };
  }

  /** Debian's etcdctl against member i (with the cluster's client certificate under TLS). */
  etcdctl(i: number, args: string[], options?: CtlOptions): Promise<CtlResult> {
    return this.#etcdctlAt(this.#internal(i).clientUrl, args, options);
  }

  #etcdctlAt(clientUrl: string, args: string[], options?: CtlOptions): Promise<CtlResult> {
    const tls = this.clientTls();
    return etcdctl(clientUrl, args, { ...options, ...(tls !== undefined ? { tls: { cacert: tls.ca, cert: tls.cert, key: tls.key } } : {}) });
  }

  /**
   * etcdctl, retried while the cluster refuses a reconfiguration because a
   * member connected only recently (etcd's strict reconfig check wants every
   * member up for a few seconds: "unhealthy cluster").
   */
  async #etcdctlRetrying(clientUrl: string, args: string[], timeoutMs = 20_000): Promise<CtlResult> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.#etcdctlAt(clientUrl, args);
      // Refusals a client is meant to retry: not enough healthy members yet, a leader election in
      // progress, or a proposal lost with a leader (etcd: "request timed out, possibly due to previous leader failure").
      if (r.code === 0 || !/unhealthy cluster|not enough started members|no leader|leader changed|request timed out/i.test(r.stderr) || Date.now() > deadline) return r;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /**
   * `etcdctl member add`; resolves with the new member's ETCD_INITIAL_CLUSTER.
   * A conf change that raft drops (etcd 3.4's leader drops one while an
   * earlier one is not yet applied) is never answered, so the command runs
   * out of time with nothing changed: then it is tried again, unless the
   * member list shows the member after all, in which case the initial
   * cluster is made from the list as etcdctl makes it.
   */
  async #memberAdd(via: string, name: string, peerUrl: string, learner: boolean, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.#etcdctlRetrying(via, ["member", "add", name, `--peer-urls=${peerUrl}`, ...(learner ? ["--learner"] : []), MEMBER_ADD_TIMEOUT]);
      if (r.code === 0) {
        const initialCluster = /ETCD_INITIAL_CLUSTER="([^"]*)"/.exec(r.stdout)?.[1];
        if (initialCluster === undefined) throw new Error(`unexpected member add output: ${r.stdout}`);
        return initialCluster;
      }
      if (!/deadline exceeded/i.test(r.stderr) || Date.now() > deadline) throw new Error(`member add failed: ${r.stderr}${r.stdout}`);
      const listed = await this.#memberList(via);
      if (listed?.some((member) => member.peerURLs?.includes(peerUrl))) {
        return listed.flatMap((member) => (member.peerURLs ?? []).map((u) => `${u === peerUrl ? name : (member.name ?? "")}=${u}`)).join(",");
      }
    }
  }

  async #memberList(via: string): Promise<Array<{ name?: string; peerURLs?: string[] }> | undefined> {
    const r = await this.#etcdctlAt(via, ["member", "list", "-w", "json"]);
    if (r.code !== 0) return undefined;
    return (JSON.parse(r.stdout) as { members?: Array<{ name?: string; peerURLs?: string[] }> }).members;
  }

  /** Client URLs of running members, for etcdctl. */
  #runningClientUrls(): string[] {
    return this.#members.filter((m) => m.state === "running").map((m) => m.clientUrl);
  }

  /** SIGKILL; the data dir stays. */
  async kill9(i: number): Promise<void> {
    await this.#signalAndWait(this.#internal(i), "SIGKILL");
  }

  /** SIGTERM (graceful); the data dir stays. */
  async stop(i: number): Promise<void> {
    await this.#signalAndWait(this.#internal(i), "SIGTERM");
  }

  /** Starts a stopped member again with its data dir; waits until it serves clients (unless told not to). */
  /** Starts a stopped member again on its data; `extraArgs` apply to this start only (e.g. --force-new-cluster). */
  async restart(i: number, options?: { wait?: boolean; extraArgs?: string[] }): Promise<void> {
    const m = this.#internal(i);
    if (m.state !== "stopped") throw new Error(`${m.name} is ${m.state}`);
    const args = m.args;
    if (options?.extraArgs !== undefined) m.args = [...args, ...options.extraArgs];
    try {
      await this.#spawn(m, options?.wait ?? true);
    } finally {
      m.args = args;
    }
  }

  /** SIGSTOP: the process freezes, sockets stay open (a stalled machine). */
  pause(i: number): void {
    const m = this.#internal(i);
    if (m.state !== "running" || m.child === undefined) throw new Error(`${m.name} is ${m.state}`);
    m.child.kill("SIGSTOP");
    m.state = "paused";
  }

  resume(i: number): void {
    const m = this.#internal(i);
    if (m.state !== "paused" || m.child === undefined) throw new Error(`${m.name} is ${m.state}`);
    m.child.kill("SIGCONT");
    m.state = "running";
  }

  /** Maintenance.Status of member i, or undefined when it does not answer in time. */
  async status(i: number, deadlineMs = 1_000): Promise<StatusResponse | undefined> {
    const m = this.#internal(i);
    if (m.state !== "running") return undefined;
    const c = this.clients(i);
    const r = await callWithDeadline(c.maintenance, c.maintenance.status, {}, deadlineMs);
    if (!r.ok) return undefined;
    m.id ??= r.value.header?.memberId;
    return r.value;
  }

  /** The index of the member with id `id`, if known. */
  indexOf(id: bigint): number | undefined {
    const i = this.#members.findIndex((m) => m.id === id);
    return i < 0 ? undefined : i;
  }

  /**
   * Waits until the given members (default: every running one) answer
   * Status and agree on one leader among them; returns it.
   */
  async waitForLeader(options?: { among?: readonly number[]; timeoutMs?: number; notId?: bigint }): Promise<LeaderInfo> {
    const deadline = Date.now() + (options?.timeoutMs ?? 15_000);
    let last = "";
    for (;;) {
      const among = options?.among ?? this.#members.map((_, i) => i).filter((i) => this.#members[i]!.state === "running");
      const answers = await Promise.all(among.map((i) => this.status(i, 500)));
      const leaders = new Set(answers.map((a) => a?.leader ?? 0n));
      if (answers.every((a) => a !== undefined) && leaders.size === 1) {
        const id = [...leaders][0]!;
        const index = this.indexOf(id);
        // The term of the leadership is the leader's own: a follower may already be at a later term.
        const term = index === undefined ? undefined : answers[among.indexOf(index)]?.raftTerm;
        if (id !== 0n && index !== undefined && term !== undefined && id !== options?.notId) return { index, id, term };
      }
      last = `answers ${answers.map((a, k) => `${this.#members[among[k]!]!.name}:${a === undefined ? "-" : a.leader.toString(16)}`).join(" ")}`;
      if (Date.now() > deadline) throw new Error(`no agreed leader within the timeout (${last})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Adds a member through etcdctl (MemberAdd) and starts it with
   * `--initial-cluster-state existing`; returns its index. A learner when asked.
   */
  async addMember(options?: { learner?: boolean; name?: string; wait?: boolean }): Promise<number> {
    const name = options?.name ?? `m${this.#members.length}`;
    const m = await this.#plan(name);
    const via = this.#runningClientUrls()[0];
    if (via === undefined) throw new Error("no running member to add through");
    const initialCluster = await this.#memberAdd(via, name, m.peerUrl, options?.learner ?? false);
    m.args = this.#args(m, initialCluster, "existing");
    await this.#spawn(m, options?.wait ?? true);
    return this.#members.indexOf(m);
  }

  /** MemberRemove of member i through another running member; waits for the removed process to exit. */
  async removeMember(i: number): Promise<void> {
    const m = this.#internal(i);
    const id = m.id ?? (await this.status(i))?.header?.memberId;
    if (id === undefined) throw new Error(`member id of ${m.name} unknown`);
    const via = this.#members.find((o, k) => k !== i && o.state === "running");
    if (via === undefined) throw new Error("no other running member");
    const r = await this.#etcdctlRetrying(via.clientUrl, ["member", "remove", id.toString(16)]);
    if (r.code !== 0) throw new Error(`member remove failed: ${r.stderr}${r.stdout}`);
    if (m.state === "running" && m.exited !== undefined) {
      // A removed member stops by itself once it learns it; do not wait forever.
      const gone = await Promise.race([m.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
      if (!gone) await this.stop(i);
    }
    m.state = "stopped";
  }

  /**
   * Brings member i back with an empty data dir, as etcd requires: remove it
   * (if still a member), wipe its data, add it again under the same name and
   * peer URL, and start it with `--initial-cluster-state existing`.
   */
  async rejoin(i: number, options?: { learner?: boolean }): Promise<void> {
    const m = this.#internal(i);
    if (m.state !== "stopped") await this.removeMember(i);
    rmSync(m.dataDir, { recursive: true, force: true });
    m.id = undefined;
    const via = this.#runningClientUrls()[0];
    if (via === undefined) throw new Error("no running member to add through");
    const initialCluster = await this.#memberAdd(via, m.name, m.peerUrl, options?.learner ?? false);
    m.args = this.#args(m, initialCluster, "existing");
    await this.#spawn(m);
  }

  /** `etcdctl member promote` of learner i, retried until the learner has caught up; returns once it reports itself a voter. */
  async promote(i: number, timeoutMs = 30_000): Promise<void> {
    const id = this.#internal(i).id ?? (await this.status(i))?.header?.memberId;
    if (id === undefined) throw new Error("learner id unknown");
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const via = this.#members.find((o, k) => k !== i && o.state === "running");
      const r = await this.#etcdctlAt(via!.clientUrl, ["member", "promote", id.toString(16)]);
      if (r.code === 0) break;
      if (Date.now() > deadline) throw new Error(`promote failed: ${r.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    // The promotion is committed; the member itself applies it a moment later
    // (longer when it is still catching up): wait until it reports itself a voter.
    while ((await this.status(i))?.isLearner !== false) {
      if (Date.now() > deadline) throw new Error("the promoted member still reports itself a learner");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Maintenance.HashKV of member i at its current revision, or undefined when it does not answer. */
  async hashKv(i: number, deadlineMs = 2_000): Promise<{ hash: number; revision: bigint; compactRevision: bigint } | undefined> {
    if (this.#internal(i).state !== "running") return undefined;
    const c = this.clients(i);
    const r = await callWithDeadline(c.maintenance, c.maintenance.hashKv, { revision: 0n }, deadlineMs);
    if (!r.ok) return undefined;
    return { hash: r.value.hash, revision: r.value.header?.revision ?? 0n, compactRevision: r.value.compactRevision };
  }

  /**
   * Waits until every running member reports the same revision and the
   * same HashKV (replicas converged); returns that revision.
   */
  async waitForConvergence(timeoutMs = 20_000): Promise<bigint> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    for (;;) {
      const running = this.#members.map((_, i) => i).filter((i) => this.#members[i]!.state === "running");
      const hashes = await Promise.all(running.map((i) => this.hashKv(i)));
      const first = hashes[0];
      if (first !== undefined && hashes.every((h) => h !== undefined && h.hash === first.hash && h.revision === first.revision)) return first.revision;
      last = hashes.map((h, k) => `${this.#members[running[k]!]!.name}:${h === undefined ? "-" : `${h.revision}/${h.hash}`}`).join(" ");
      if (Date.now() > deadline) throw new Error(`members did not converge: ${last}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Blocks all traffic between members in different groups (both ways). */
  partition(groups: ReadonlyArray<readonly number[]>): void {
    for (let g = 0; g < groups.length; g++) {
      for (let h = 0; h < groups.length; h++) {
        if (g === h) continue;
        for (const a of groups[g]!) for (const b of groups[h]!) this.blockLink(a, b);
      }
    }
  }

  /** Cuts member i off from every other member. */
  isolate(i: number): void {
    this.partition([[i], this.#members.map((_, k) => k).filter((k) => k !== i)]);
  }

  /** Holds bytes flowing from member a to member b (on a's connections to b and on b's connections to a). */
  blockLink(a: number, b: number): void {
    const ma = this.#internal(a);
    const mb = this.#internal(b);
    this.#proxyOf(mb).block(ma.name, "in");
    this.#proxyOf(ma).block(mb.name, "out");
  }

  /** Adds latency to member i's peer traffic in both directions. */
  delay(i: number, ms: number): void {
    this.#proxyOf(this.#internal(i)).setDelay(ms);
  }

  /** Lifts every block and delay. */
  heal(): void {
    for (const m of this.#members) {
      m.proxy?.unblockAll();
      m.proxy?.setDelay(0);
    }
  }

  /** Stops every member process (SIGKILL) and proxy, and removes the temp dir. */
  async stopAll(options?: { keepData?: boolean }): Promise<void> {
    await Promise.all(
      this.#members.map(async (m) => {
        m.clients?.close();
        m.clients = undefined;
        if (m.state === "paused") m.child?.kill("SIGCONT");
        if (m.child !== undefined && m.state !== "stopped") await this.#signalAndWait(m, "SIGKILL");
        await m.proxy?.stop();
      }),
    );
    if (!options?.keepData) rmSync(this.root, { recursive: true, force: true });
  }

  #internal(i: number): MemberInternal {
    const m = this.#members[i];
    if (m === undefined) throw new Error(`no member ${i}`);
    return m;
  }

  #proxyOf(m: MemberInternal): TcpProxy {
    if (m.proxy === undefined) throw new Error("cluster started without proxies");
    return m.proxy;
  }

  async #plan(name: string): Promise<MemberInternal> {
    const [clientPort, peerPort] = await freePorts(2);
    const proxied = this.#options.proxied ?? true;
    let proxy: TcpProxy | undefined;
    if (proxied) {
      proxy = new TcpProxy({
        name,
        targetPort: peerPort!,
        classify: (clientPort, proxyPort) => {
          const pid = connectionOwner(clientPort, proxyPort, this.#namesByPid.keys());
          return pid === undefined ? undefined : this.#namesByPid.get(pid);
        },
      });
      await proxy.start();
    }
    const dir = join(this.root, name);
    mkdirSync(dir, { recursive: true });
    const scheme = this.#options.tls === undefined ? "http" : "https";
    const m: MemberInternal = {
      name,
      clientPort: clientPort!,
      endpoint: `127.0.0.1:${clientPort}`,
      clientUrl: `${scheme}://127.0.0.1:${clientPort}`,
      peerPort: peerPort!,
      peerUrl: `${scheme}://127.0.0.1:${proxy?.port ?? peerPort}`,
      dataDir: join(dir, "data"),
      proxy,
      certificate: await this.#options.tls?.peer(name),
      id: undefined,
      state: "stopped",
      pid: undefined,
      args: [],
      child: undefined,
      exited: undefined,
      out: "",
      clients: undefined,
      output: () => m.out,
    };
    this.#members.push(m);
    return m;
  }

  #args(m: MemberInternal, initialCluster: string, state: "new" | "existing"): string[] {
    const extra = this.#options.extraArgs;
    return [
      "--name", m.name,
      "--data-dir", m.dataDir,
      "--listen-client-urls", m.clientUrl,
      "--advertise-client-urls", m.clientUrl,
      "--listen-peer-urls", `${this.#options.tls === undefined ? "http" : "https"}://127.0.0.1:${m.peerPort}`,
      "--initial-advertise-peer-urls", m.peerUrl,
      "--initial-cluster", initialCluster,
      "--initial-cluster-state", state,
      "--initial-cluster-token", this.#options.token ?? "cluster-test",
      "--heartbeat-interval", String(this.#options.heartbeatMs ?? 100),
      "--election-timeout", String(this.#options.electionMs ?? 1000),
      ...this.#tlsArgs(m),
      ...(typeof extra === "function" ? extra(m.name) : (extra ?? [])),
    ];
  }

  #tlsArgs(m: MemberInternal): string[] {
    const pki = this.#options.tls;
    if (pki === undefined || m.certificate === undefined) return [];
    const listener = { cert: m.certificate.cert, key: m.certificate.key, trustedCa: pki.caFile, clientCertAuth: true };
    return [...listenerTlsArgs("", listener), ...listenerTlsArgs("peer-", listener)];
  }

  async #spawn(m: MemberInternal, waitReady = true): Promise<void> {
    const bin = this.flavor === "ours" ? ourEtcdBin : realEtcdBin;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("ETCD_") && !k.startsWith("ETCDCTL_")) env[k] = v;
    const child = spawn(bin, m.args, { stdio: ["ignore", "pipe", "pipe"], env });
    m.child = child;
    m.pid = child.pid;
    m.state = "running";
    if (child.pid !== undefined) this.#namesByPid.set(child.pid, m.name);
    m.out += `\n--- ${m.name} started (pid ${child.pid}) ---\n`;
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    let sinceStart: string | undefined = ""; // this process's output until it is ready
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString("utf8");
      m.out += text;
      if (m.out.length > OUTPUT_LIMIT) m.out = m.out.slice(m.out.length - OUTPUT_LIMIT / 2);
      if (sinceStart !== undefined) {
        sinceStart += text;
        if (sinceStart.includes(READY_LINE)) {
          sinceStart = undefined;
          ready();
        }
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    m.exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        if (child.pid !== undefined) this.#namesByPid.delete(child.pid);
        if (m.child === child) {
          m.state = "stopped";
          m.child = undefined;
          m.pid = undefined;
          m.clients?.close();
          m.clients = undefined;
        }
        resolve(code ?? (signal ? -1 : null));
      }),
    );
    if (!waitReady) return;
    const timeoutMs = this.#options.readyTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        isReady,
        m.exited.then((code) => {
          throw new Error(`${m.name} exited (${code}) before it was ready:\n${m.out.slice(-4000)}`);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${m.name} not ready in ${timeoutMs} ms:\n${m.out.slice(-4000)}`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #signalAndWait(m: MemberInternal, signal: NodeJS.Signals): Promise<void> {
    const child = m.child;
    if (child === undefined || m.exited === undefined) return;
    if (m.state === "paused" && signal !== "SIGKILL") child.kill("SIGCONT");
    child.kill(signal);
    const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await m.exited;
    clearTimeout(killer);
    m.state = "stopped";
  }
}

/**
 * A member add is not retried blindly (the first try may have committed), so
 * it gets longer than etcdctl's 5 s default: under a loaded CI machine real
 * etcd once needed more ("context deadline exceeded").
 */
const MEMBER_ADD_TIMEOUT = "--command-timeout=20s";
