import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "../../pkg/logger.js";
import { LmdbBackend, backendPath } from "../../storage/backend/index.js";
import { defragAtStart } from "./defrag-at-start.js";

/** A logger that keeps the messages. */
function recordingLogger(logged: string[]): Logger {
  const record = (_fields: object, msg: string): void => {
    logged.push(msg);
  };
  const logger: Logger = { debug: record, info: record, warn: record, error: record, child: () => logger };
  return logger;
}

/** A backend whose file is mostly free pages (about 4 MB of it). */
async function fragmented(dir: string, logger: Logger): Promise<LmdbBackend> {
  const be = new LmdbBackend({ path: backendPath(dir), logger });
  for (let i = 0; i < 5_000; i++) be.put("key", Buffer.from(`k${i}`), Buffer.alloc(1_000, 1));
  await be.commit();
  for (let i = 0; i < 5_000; i++) if (i % 10 !== 0) be.delete("key", Buffer.from(`k${i}`));
  await be.commit();
  return be;
}

for (const { title, thresholdBytes, defragments, logs } of [
  { title: "0 never defragments", thresholdBytes: 0, defragments: false, logs: [] },
  { title: "a threshold above the free space skips, as etcd logs it", thresholdBytes: 1024 * 1024 * 1024, defragments: false, logs: ["Skipping defragmentation"] },
  { title: "a threshold at or below the free space defragments", thresholdBytes: 1024 * 1024, defragments: true, logs: ["defragmenting", "defragmented"] },
]) {
  test(`bootstrap defrag threshold: ${title}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "etcd-ts-bootdefrag-"));
    const logged: string[] = [];
    const logger = recordingLogger(logged);
    try {
      const be = await fragmented(dir, logger);
      const before = be.size();
      await defragAtStart(be, thresholdBytes, logger);
      assert.equal(be.lastDefrag !== undefined, defragments);
      assert.equal(be.size() < before, defragments, `size ${be.size()} before ${before}`);
      assert.equal(be.range("key").length, 500);
      for (const msg of logs) assert.ok(logged.includes(msg), `${msg} in ${JSON.stringify(logged)}`);
      await be.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
