// The Watch stream opens its session with the stream's credentials and etcd's cancel-reason text.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { WatchRequest, WatchResponse, WatchService } from "../gen/etcdserverpb/rpc.js";
import { EtcdError } from "../pkg/errors.js";
import type { WatchApi, WatchSessionApi, WatchSessionOptions, WatchSink } from "../server/watch/api.js";
import { serveForTest, until } from "./grpc/test-support.js";
import { bindService } from "./rpc/methods.js";
import { WATCH_SERVICE, watchHandlers } from "./watch-service.js";

/** A session that answers every create with the cancel a refused create gets, using the reason text it was given. */
function refusingWatch(): { api: WatchApi; opened: WatchSessionOptions[] } {
  const opened: WatchSessionOptions[] = [];
  const api: WatchApi = {
    openSession(options) {
      opened.push(options ?? {});
      let sink: WatchSink | undefined;
      let closed = false;
      const session = {
        attach: (s: WatchSink) => void (sink = s),
        handle: () => {
          const reason = options?.describeError?.(new EtcdError("PermissionDenied")) ?? "";
          sink?.write([WatchResponse.fromPartial({ watchId: -1n, created: true, canceled: true, cancelReason: reason })]);
        },
        close: () => void (closed = true),
        get closed() {
          return closed;
        },
      };
      return session as unknown as WatchSessionApi;
    },
  };
  return { api, opened };
}

test("a watch stream's session gets its credentials and answers a refused create with Go's status text", async () => {
  const { api, opened } = refusingWatch();
  const s = await serveForTest(bindService(WATCH_SERVICE, watchHandlers(api)));
  try {
    const md = new grpc.Metadata();
    md.set("token", "user-token");
    const call = s.client.makeBidiStreamRequest(WatchService.watch.path, WatchService.watch.requestSerialize, WatchService.watch.responseDeserialize, md, {});
    call.on("error", () => {});
    const responses: WatchResponse[] = [];
    call.on("data", (r: WatchResponse) => responses.push(r));
    call.write(WatchRequest.fromPartial({ requestUnion: { $case: "createRequest", value: { key: Buffer.from("secret") } } }));
    await until(() => responses.length === 1, "the refused create's answer");
    assert.deepEqual(opened.map((o) => o.credentials), [{ token: "user-token", commonName: undefined }]);
    assert.equal(responses[0]!.cancelReason, "rpc error: code = PermissionDenied desc = etcdserver: permission denied");
    assert.equal(responses[0]!.canceled, true);
    call.cancel();
  } finally {
    await s.close();
  }
});
