/**
 * A request's custom metadata: the header fields that are neither pseudo
 * headers nor reserved by the gRPC transport. The subset of grpc-js's
 * Metadata that handlers read (`get`, `getMap`), over the decoded list.
 * @module
 */
import type { HeaderList } from "../h2/hpack.js";

const RESERVED = new Set(["content-type", "te", "user-agent", "grpc-timeout", "grpc-encoding", "grpc-accept-encoding", "host", "connection"]);

export class RequestMetadata {
  readonly #fields: HeaderList;

  /** `fields` is the request's whole header list; reserved and pseudo headers are skipped on read. */
  constructor(fields: HeaderList) {
    this.#fields = fields;
  }

  /** Every value of `key` (lower-case): strings, or bytes for `-bin` keys (base64 on the wire). */
  get(key: string): (string | Buffer)[] {
    const name = key.toLowerCase();
    const out: (string | Buffer)[] = [];
    const fields = this.#fields;
    for (let i = 0; i < fields.length; i += 2) {
      if (fields[i] !== name) continue;
      const value = fields[i + 1]!;
      if (name.endsWith("-bin")) for (const part of value.split(",")) out.push(Buffer.from(part.trim(), "base64"));
      else out.push(Buffer.from(value, "latin1").toString("utf8"));
    }
    return out;
  }

  getMap(): Record<string, string | Buffer> {
    const out: Record<string, string | Buffer> = {};
    const fields = this.#fields;
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i]!;
      if (name.startsWith(":") || RESERVED.has(name) || name in out) continue;
      out[name] = this.get(name)[0]!;
    }
    return out;
  }
}
