/**
 * Helpers shared by this folder's tests (not used by the product code).
 * @module
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { EtcdConfig } from "./config.js";
import { parseEtcdConfig, type ParseOutcome } from "./parse.js";

export type Files = Readonly<Record<string, string>>;

/** A readFile over an in-memory map, failing like Node's fs for missing paths. */
export function fakeFs(files: Files = {}): (path: string) => string {
  return (path) => {
    const text = files[path];
    if (text === undefined) {
      const e = new Error(`ENOENT: no such file or directory, open '${path}'`) as Error & { code: string };
      e.code = "ENOENT";
      throw e;
    }
    return text;
  };
}

export const RUNTIME = { nodeVersion: "v20.0.0", platform: "linux", arch: "x64" } as const;

export function parse(argv: readonly string[], env: Record<string, string> = {}, files: Files = {}): ParseOutcome {
  return parseEtcdConfig(argv, env, fakeFs(files), { runtime: RUNTIME });
}

/** Parses and insists on success. */
export function ok(argv: readonly string[], env: Record<string, string> = {}, files: Files = {}): { config: EtcdConfig; warnings: string[] } {
  const r = parse(argv, env, files);
  if (r.kind !== "run") assert.fail(`expected a run outcome, got ${JSON.stringify(r)}`);
  return { config: r.config, warnings: r.warnings };
}

/** Parses and insists on an error; returns it. */
export function err(argv: readonly string[], env: Record<string, string> = {}, files: Files = {}): { message: string; exitCode: number; usage?: string } {
  const r = parse(argv, env, files);
  if (r.kind !== "error") assert.fail(`expected an error outcome, got ${r.kind}`);
  return r;
}

/** Flags that make a valid explicit local setup (so a test can vary one thing). */
export const LOCAL = [
  "--listen-client-urls=http://127.0.0.1:2379",
  "--advertise-client-urls=http://127.0.0.1:2379",
  "--listen-peer-urls=http://127.0.0.1:2380",
  "--initial-advertise-peer-urls=http://127.0.0.1:2380",
  "--initial-cluster=default=http://127.0.0.1:2380",
] as const;

export function hrefs(urls: readonly { href: string }[]): string[] {
  return urls.map((u) => u.href);
}

/** The repository root (holding package.json "etcd-ts"), found from the compiled test file or the working directory. */
export function repoRoot(): string {
  for (const start of [dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    let dir = start;
    for (;;) {
      const candidate = join(dir, "package.json");
      if (existsSync(candidate) && (JSON.parse(readFileSync(candidate, "utf8")) as { name?: string }).name === "etcd-ts") return dir;
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  throw new Error("repository root not found");
}
