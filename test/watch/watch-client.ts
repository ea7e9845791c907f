/**
 * A raw gRPC Watch stream for tests: send exact WatchRequests, await the
 * responses one by one (or until a condition holds), pause reading to play a
 * stalled consumer. Works against either server.
 */
import * as grpc from "@grpc/grpc-js";
import { WatchClient, type WatchCreateRequest, type WatchResponse } from "../../src/gen/etcdserverpb/rpc.js";

export function newWatchClient(endpoint: string, options: Partial<grpc.ClientOptions> = {}): InstanceType<typeof WatchClient> {
  return new WatchClient(endpoint, grpc.credentials.createInsecure(), { "grpc.max_receive_message_length": -1, ...options });
}

export function createRequest(over: Partial<WatchCreateRequest>): WatchCreateRequest {
  return { key: Buffer.alloc(0), rangeEnd: Buffer.alloc(0), startRevision: 0n, progressNotify: false, filters: [], prevKv: false, watchId: 0n, fragment: false, ...over };
}

export class WatchStreamClient {
  readonly call: grpc.ClientDuplexStream<import("../../src/gen/etcdserverpb/rpc.js").WatchRequest, WatchResponse>;
  readonly responses: WatchResponse[] = [];
  error: grpc.ServiceError | undefined;
  ended = false;
  #waiters: (() => void)[] = [];

  constructor(client: InstanceType<typeof WatchClient>, metadata?: grpc.Metadata) {
    this.call = metadata === undefined ? client.watch() : client.watch(metadata);
    this.call.on("data", (r: WatchResponse) => {
      this.responses.push(r);
      this.#wake();
    });
    this.call.on("error", (e: grpc.ServiceError) => {
      this.error = e;
      this.#wake();
    });
    this.call.on("end", () => {
      this.ended = true;
      this.#wake();
    });
  }

  create(over: Partial<WatchCreateRequest>): void {
    this.call.write({ requestUnion: { $case: "createRequest", value: createRequest(over) } });
  }

  cancelWatch(watchId: bigint): void {
    this.call.write({ requestUnion: { $case: "cancelRequest", value: { watchId } } });
  }

  requestProgress(): void {
    this.call.write({ requestUnion: { $case: "progressRequest", value: {} } });
  }

  /** Waits until `cond(responses)` holds; throws after `timeoutMs` with what arrived. */
  async until(cond: (rs: WatchResponse[]) => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond(this.responses)) {
      if (this.error !== undefined) throw new Error(`watch stream failed while waiting for ${what}: ${this.error.code} ${this.error.details}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${this.responses.length} responses`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits for `n` responses in total. */
  async count(n: number, timeoutMs = 10_000): Promise<WatchResponse[]> {
    await this.until((rs) => rs.length >= n, timeoutMs, `${n} responses`);
    return this.responses.slice(0, n);
  }

  cancel(): void {
    this.call.cancel();
  }

  #wake(): void {
    const ws = this.#waiters;
    this.#waiters = [];
    for (const w of ws) w();
  }
}
