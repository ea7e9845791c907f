/**
 * etcdutl's `-w` output formats for the two results it prints: a
 * snapshot's status and a KV hash. simple, json, table and fields are
 * etcd's layouts; protobuf is refused as etcd refuses it for these.
 * @module
 */
import { humanBytes } from "../../pkg/human-bytes.js";
import type { SnapshotStatus } from "./snapshot-status.js";
import { renderTable } from "./table.js";

export type OutputFormat = "simple" | "json" | "table" | "fields";

/** etcdutl's answer to `-w protobuf` or an unknown format: its message and exit code (cobrautl.ExitBadFeature). */
export class OutputFormatError extends Error {
  override readonly name = "OutputFormatError";
  readonly exitCode = 4;
}

export interface KvHash {
  readonly hash: number;
  readonly hashRevision: bigint;
  readonly compactRevision: bigint;
}

/** Checks `-w` before any work is done, as etcdutl builds its printer first. */
export function outputFormat(text: string): OutputFormat {
  switch (text) {
    case "simple":
    case "json":
    case "table":
    case "fields":
      return text;
    case "protobuf":
      throw new OutputFormatError("protobuf not supported as output format");
    default:
      throw new OutputFormatError("unsupported output format");
  }
}

function statusRow(s: SnapshotStatus): string[] {
  return [s.hash.toString(16), String(s.revision), String(s.totalKey), humanBytes(s.totalSize), s.version];
}

export function formatStatus(format: OutputFormat, s: SnapshotStatus): string {
  switch (format) {
    case "simple":
      return `${statusRow(s).join(", ")}\n`;
    case "json":
      return `{"hash":${s.hash},"revision":${s.revision},"totalKey":${s.totalKey},"totalSize":${s.totalSize},"version":${JSON.stringify(s.version)}}\n`;
    case "table":
      return renderTable(["hash", "revision", "total keys", "total size", "version"], [statusRow(s)]);
    case "fields":
      return `"Hash" : ${s.hash}\n"Revision" : ${s.revision}\n"Keys" : ${s.totalKey}\n"Size" : ${s.totalSize}\n"Version" : ${s.version}\n`;
  }
}

export function formatKvHash(format: OutputFormat, h: KvHash): string {
  const row = [String(h.hash), String(h.hashRevision), String(h.compactRevision)];
  switch (format) {
    case "simple":
      return `${row.join(", ")}\n`;
    case "json":
      return `{"hash":${h.hash},"hashRevision":${h.hashRevision},"compactRevision":${h.compactRevision}}\n`;
    case "table":
      return renderTable(["hash", "hash revision", "compact revision"], [row]);
    case "fields":
      return `"Hash" : ${h.hash}\n"Hash revision" : ${h.hashRevision}\n"Compact revision" : ${h.compactRevision}\n`;
  }
}
