/**
 * Long-running client processes for the lock tests (etcdctl lock/elect and
 * the holder script): spawn, wait for a line, kill -9 or interrupt. Only
 * the PIDs started here are ever signalled.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { realEtcdctlBin } from "../harness/paths.js";

export interface Proc {
  readonly child: ChildProcess;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the first output line matching `re` (or rejects after `timeoutMs`). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Whether some line matches `re` by now. */
  saw(re: RegExp): boolean;
  kill9(): Promise<void>;
  interrupt(): Promise<void>;
  exited: Promise<number | null>;
}

function wrap(child: ChildProcess): Proc {
  let out = "";
  const watchers: { re: RegExp; resolve(line: string): void }[] = [];
  const onData = (chunk: Buffer): void => {
    out += chunk.toString("utf8");
    for (const w of [...watchers]) {
      const line = out.split("\n").find((l) => w.re.test(l));
      if (line !== undefined) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code, signal) => resolve(code ?? (signal ? -1 : null))));
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    child,
    output: () => out,
    saw: (re) => out.split("\n").some((l) => re.test(l)),
    waitFor(re, timeoutMs = 15_000) {
      const line = out.split("\n").find((l) => re.test(l));
      if (line !== undefined) return Promise.resolve(line);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${re} in ${timeoutMs} ms; output:\n${out}`)), timeoutMs);
        watchers.push({
          re,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
      });
    },
    kill9: () => stop("SIGKILL"),
    interrupt: () => stop("SIGINT"),
    exited,
  };
}

/** Debian's etcdctl, running until it exits or is stopped. */
export function etcdctlProc(endpoint: string, args: string[]): Proc {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("ETCDCTL_")) env[k] = v;
  env["ETCDCTL_API"] = "3";
  return wrap(spawn(realEtcdctlBin, ["--endpoints", endpoint, ...args], { stdio: ["ignore", "pipe", "pipe"], env }));
}

const holderScript = join(dirname(fileURLToPath(import.meta.url)), "holder.js");

/** The holder script (see holder.ts) in its own process. */
export function holderProc(args: string[]): Proc {
  return wrap(spawn(process.execPath, [holderScript, ...args], { stdio: ["ignore", "pipe", "pipe"] }));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
