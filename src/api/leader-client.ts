/**
 * The server's {@link LeaderForwarder} over gRPC: requests only the leader
 * can answer (lease keepalive and TimeToLive, learner promotion), sent on by
 * a follower to the leader's client URL — the same API a client would use,
 * so the leader applies its own rules. An https:// URL is dialed presenting
 * the member's client certificate (--client-cert-file, else --cert-file) and
 * verifying the leader against --trusted-ca-file. Created by the composition
 * root and handed to the server, which knows only the interface.
 *
 * With auth enabled the leader checks a forwarded call again, so the
 * caller's token goes along. The member's own certificate must never be
 * taken for the caller: every forwarded call carries the gateway's mark,
 * which keeps the leader from reading that certificate's common name. (A
 * caller known only by its certificate's name therefore cannot be
 * forwarded; etcd forwards renewals over its peer transport, unchecked.)
 * @module
 */
import * as grpc from "@grpc/grpc-js";
import {
  ClusterClient,
  LeaseClient,
  type LeaseKeepAliveResponse,
  type LeaseTimeToLiveRequest,
  type LeaseTimeToLiveResponse,
  type MemberPromoteRequest,
  type MemberPromoteResponse,
} from "../gen/etcdserverpb/rpc.js";
import { EtcdError, RelayedError } from "../pkg/errors.js";
import type { Clock } from "../pkg/clock.js";
import type { Credentials, LeaderForwarder, LeaderLocator } from "../server/api.js";
import type { TlsClientSettings } from "../tls/index.js";
import { GATEWAY_METADATA, TOKEN_METADATA } from "./credentials.js";
import { channelCredentials } from "./grpc-credentials.js";

/** How long a forwarded call may take before the follower gives up on the leader. */
const FORWARD_TIMEOUT_MS = 5_000;

interface Clients {
  target: string;
  lease: InstanceType<typeof LeaseClient>;
  cluster: InstanceType<typeof ClusterClient>;
}

export class LeaderClient implements LeaderForwarder {
  readonly #locator: LeaderLocator;
  readonly #clock: Pick<Clock, "wallMs">;
  readonly #tls: TlsClientSettings | undefined;
  #clients: Clients | undefined;

  /** `tls`: how to dial a leader whose client URL is https:// or unixs:// (undefined: such a leader is unreachable, "no leader"). */
  constructor(locator: LeaderLocator, clock: Pick<Clock, "wallMs">, tls?: TlsClientSettings) {
    this.#locator = locator;
    this.#clock = clock;
    this.#tls = tls;
  }

  async renew(id: bigint, signal: AbortSignal, creds?: Credentials): Promise<bigint> {
    const { lease } = this.#connect();
    return new Promise((resolve, reject) => {
      const call = lease.leaseKeepAlive(forwardedMetadata(creds));
      const onAbort = (): void => call.cancel();
      signal.addEventListener("abort", onAbort, { once: true });
      call.once("data", (resp: LeaseKeepAliveResponse) => {
        signal.removeEventListener("abort", onAbort);
        call.end();
        resolve(resp.TTL > 0n ? resp.TTL : 0n);
      });
      call.once("error", (err: grpc.ServiceError) => {
        signal.removeEventListener("abort", onAbort);
        reject(asEtcdError(err));
      });
      call.write({ ID: id });
    });
  }

  async timeToLive(req: LeaseTimeToLiveRequest, signal: AbortSignal, creds?: Credentials): Promise<LeaseTimeToLiveResponse | undefined> {
    const { lease } = this.#connect();
    const resp = await unaryCall<LeaseTimeToLiveResponse>((cb) => lease.leaseTimeToLive(req, forwardedMetadata(creds), this.#deadline(), cb), signal);
    return resp.TTL === -1n ? undefined : resp;
  }

  async memberPromote(req: MemberPromoteRequest, signal?: AbortSignal, creds?: Credentials): Promise<MemberPromoteResponse> {
    const { cluster } = this.#connect();
    return unaryCall<MemberPromoteResponse>((cb) => cluster.memberPromote(req, forwardedMetadata(creds), this.#deadline(), cb), signal);
  }

  close(): void {
    this.#clients?.lease.close();
    this.#clients?.cluster.close();
    this.#clients = undefined;
  }

  /** grpc-js takes deadlines as wall-clock time. */
  #deadline(): grpc.CallOptions {
    return { deadline: this.#clock.wallMs() + FORWARD_TIMEOUT_MS };
  }

  #connect(): Clients {
    const leader = this.#locator.leader();
    if (leader === 0n) throw new EtcdError("NoLeader");
    const url = this.#locator.clientUrls(leader)[0];
    if (url === undefined) throw new EtcdError("NoLeader", { detail: "the leader has not published its client URLs" });
    const dial = dialTarget(url);
    if (dial === undefined || (dial.secure && this.#tls === undefined)) throw new EtcdError("NoLeader", { detail: `cannot dial the leader at ${url}` });
    if (this.#clients?.target !== dial.target) {
      this.close();
      const creds = channelCredentials(dial.secure ? this.#tls : undefined);
      this.#clients = { target: dial.target, lease: new LeaseClient(dial.target, creds), cluster: new ClusterClient(dial.target, creds) };
    }
    return this.#clients;
  }
}

/** A forwarded call's metadata: the caller's token, and the mark that keeps the member's own certificate from naming the caller. */
function forwardedMetadata(creds: Credentials | undefined): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set(GATEWAY_METADATA, "*/*");
  if (creds?.token !== undefined) {
    try {
      md.set(TOKEN_METADATA, creds.token);
    } catch {
      // A token gRPC metadata cannot carry was no valid token: the leader sees none and refuses the call.
    }
  }
  return md;
}

/** grpc-js's target for an advertised client URL, and whether it is dialed over TLS. */
function dialTarget(url: string): { target: string; secure: boolean } | undefined {
  const match = /^(https?|unixs?):\/\/(.+)$/.exec(url);
  if (match === null) return undefined;
  const [, scheme = "", address = ""] = match;
  const secure = scheme === "https" || scheme === "unixs";
  return { target: scheme.startsWith("unix") ? `unix:${address}` : address, secure };
}

function unaryCall<Res>(start: (cb: (err: grpc.ServiceError | null, res: Res) => void) => grpc.ClientUnaryCall, signal?: AbortSignal): Promise<Res> {
  return new Promise((resolve, reject) => {
    const call = start((err, res) => {
      signal?.removeEventListener("abort", onAbort);
      if (err) reject(asEtcdError(err));
      else resolve(res);
    });
    const onAbort = (): void => call.cancel();
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The leader's answer goes to the client unchanged; an unreachable leader is "no leader". */
function asEtcdError(err: grpc.ServiceError): Error {
  if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED) return new EtcdError("NoLeader", { cause: err });
  return new RelayedError(err.code, err.details);
}
