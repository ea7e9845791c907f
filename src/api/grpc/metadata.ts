/**
 * Request metadata: the custom header fields of a call, read straight from
 * its decoded header list (no per-call copy).
 * @module
 */
import type { HeaderList } from "../h2/hpack.js";

/**
 * The first value of `key` (lower-case) in `fields`, as UTF-8 text; a
 * `-bin` key's value is base64 on the wire and is decoded.
 */
export function metadataValue(fields: HeaderList, key: string): string | undefined {
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i] !== key) continue;
    const value = fields[i + 1]!;
    if (key.endsWith("-bin")) return Buffer.from(value.split(",")[0]!.trim(), "base64").toString("utf8");
    return Buffer.from(value, "latin1").toString("utf8");
  }
  return undefined;
}
