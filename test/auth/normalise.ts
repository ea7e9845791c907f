/**
 * What must differ between two servers in what etcdctl prints, replaced by
 * placeholders so the rest can be compared line by line: the client port,
 * member and cluster ids, raft terms and revisions in `-w json`, lease ids
 * (etcd makes them from the member id and the time), the seconds a lease has
 * left, and the timestamp and connection target of clientv3's JSON log lines.
 */
import type { ServerProcess } from "../harness/server-process.js";

export function normaliseCtlOutput(text: string, server: ServerProcess): string {
  return text
    .split("\n")
    .map((line) => normaliseLine(line.replaceAll(server.endpoint, "<endpoint>").replaceAll(String(server.clientPort), "<port>")))
    .join("\n");
}

function normaliseLine(line: string): string {
  const log = clientLogLine(line);
  if (log !== undefined) return log;
  return line
    .replace(/"(cluster_id|member_id|revision|raft_term|ID)":\d+/g, '"$1":<n>')
    .replace(/\blease [0-9a-f]{1,16}\b/g, "lease <id>")
    .replace(/\b(lease|ID)\(?([0-9a-f]{1,16})\)?(?= )/g, "$1 <id>")
    // Lock and election keys end in the session's lease id in hex (no leading zeros).
    .replace(/\/[0-9a-f]{12,16}$/, "/<lease id>")
    .replace(/remaining\(\d+s\)/g, "remaining(<n>s)")
    .replace(/TTL\(\d+s\)/g, "TTL(<n>s)");
}

/** clientv3's zap lines ({"level":…,"ts":…,"target":…}): keep level, msg and error, drop the time and the connection target. */
function clientLogLine(line: string): string | undefined {
  if (!line.startsWith('{"level"')) return undefined;
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    return JSON.stringify({ level: entry["level"], msg: entry["msg"], error: entry["error"] });
  } catch {
    return undefined;
  }
}
