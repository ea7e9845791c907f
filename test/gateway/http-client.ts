/**
 * A small HTTP/1.1 client for the gateway tests: whole responses (status,
 * headers, body, trailers) and streamed newline-delimited JSON.
 */
import { request, type IncomingHttpHeaders } from "node:http";

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  trailers: Record<string, string | undefined>;
  body: string;
}

export function http(base: string, method: string, path: string, body?: string, headers?: Record<string, string>): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers } }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (data += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, trailers: res.trailers, body: data }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

export const post = (base: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<HttpResult> =>
  http(base, "POST", path, body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body), headers);

/** POST and parse a 200 JSON answer; throws with the body otherwise. */
export async function call<T = Record<string, unknown>>(base: string, path: string, body: unknown): Promise<T> {
  const r = await post(base, path, body);
  if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.body}`);
  return JSON.parse(r.body) as T;
}

/** A long-lived POST whose answer is read line by line. */
export class LineStream {
  readonly status: Promise<number>;
  readonly #lines: string[] = [];
  #waiters: (() => void)[] = [];
  #ended = false;
  #partial = "";
  readonly #req: ReturnType<typeof request>;

  constructor(base: string, path: string, body: string, options?: { keepOpen?: boolean }) {
    let setStatus!: (s: number) => void;
    this.status = new Promise((r) => (setStatus = r));
    this.#req = request(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json" } }, (res) => {
      setStatus(res.statusCode ?? 0);
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        this.#partial += chunk;
        let nl: number;
        while ((nl = this.#partial.indexOf("\n")) >= 0) {
          this.#lines.push(this.#partial.slice(0, nl));
          this.#partial = this.#partial.slice(nl + 1);
        }
        this.#wake();
      });
      res.on("end", () => {
        if (this.#partial !== "") this.#lines.push(this.#partial);
        this.#partial = "";
        this.#ended = true;
        this.#wake();
      });
      res.on("error", () => {
        this.#ended = true;
        this.#wake();
      });
    });
    this.#req.on("error", () => {
      this.#ended = true;
      this.#wake();
    });
    this.#req.write(body);
    // Patroni sends its whole body at once; a client may also keep it open to send more.
    if (!options?.keepOpen) this.#req.end();
  }

  /** Sends more of the body (when opened with keepOpen). */
  send(body: string): void {
    this.#req.write(body);
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  /** The next line (JSON-parsed), or undefined when the stream ended; rejects after `timeoutMs`. */
  async next<T = Record<string, unknown>>(timeoutMs = 5000): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.#lines.length === 0 && !this.#ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    const line = this.#lines.shift();
    return line === undefined ? undefined : (JSON.parse(line) as T);
  }

  /** Raw lines received so far and not yet taken. */
  pending(): number {
    return this.#lines.length;
  }

  close(): void {
    this.#req.destroy();
  }
}

export const b64 = (s: string): string => Buffer.from(s).toString("base64");
export const unb64 = (s: string | undefined): string => Buffer.from(s ?? "", "base64").toString();

/** The range end that selects every key under `prefix` (base64). */
export function prefixEnd(prefix: string): string {
  const b = Buffer.from(prefix);
  const last = b.length - 1;
  b[last] = (b[last] ?? 0) + 1;
  return b.toString("base64");
}
