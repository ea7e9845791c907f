/**
 * etcdutl's log lines: zap's console encoder as etcdutl configures it —
 * RFC 3339 time, level, message, then the fields as spaced JSON, tab
 * separated — behind the project's {@link Logger} interface. Debug lines
 * are dropped (etcdutl logs at info).
 * @module
 */
import type { Logger } from "../../pkg/logger.js";

export function consoleLogger(write: (line: string) => void, now: () => Date = () => new Date(), bindings: object = {}): Logger {
  const line = (level: string, fields: object, message: string): void => {
    const entries = Object.entries({ ...bindings, ...fields });
    const context = entries.length === 0 ? "" : `\t{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${fieldText(v)}`).join(", ")}}`;
    write(`${rfc3339(now())}\t${level}\t${message}${context}\n`);
  };
  return {
    debug: () => undefined,
    info: (fields, message) => line("info", fields, message),
    warn: (fields, message) => line("warn", fields, message),
    error: (fields, message) => line("error", fields, message),
    child: (more) => consoleLogger(write, now, { ...bindings, ...more }),
  };
}

function fieldText(v: unknown): string {
  if (typeof v === "bigint" || typeof v === "number" || typeof v === "boolean") return String(v);
  if (v instanceof Error) return JSON.stringify(v.message);
  return JSON.stringify(v) ?? "null";
}

/** Go's time.RFC3339 in the local zone: `2024-05-01T12:00:00Z` or `…+02:00`. */
export function rfc3339(d: Date): string {
  const offsetMin = -d.getTimezoneOffset();
  const local = new Date(d.getTime() + offsetMin * 60_000);
  const base = local.toISOString().slice(0, 19);
  if (offsetMin === 0) return `${base}Z`;
  const sign = offsetMin > 0 ? "+" : "-";
  const abs = Math.abs(offsetMin);
  return `${base}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}
