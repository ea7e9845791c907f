/**
 * The process-level guard: what happens to an exception (or a rejection)
 * that no code caught. Node's default ends the process, so one bug in the
 * handling of one client's bytes would take the member away from every
 * client. The rule:
 *
 * - thrown from the client API layer (src/api, and grpc-js, which only it
 *   uses): logged at error level as {@link RECOVERED_MESSAGE} with the stack,
 *   and the member keeps serving. That code touches no stored data, so what
 *   the bug broke is at most some client's connection or call.
 * - from anywhere else (storage, WAL, raft, the server, this composition
 *   root), or from where the stack cannot tell: logged, and the process
 *   exits with 1, as Node would. Data may be unsafe; a restart replays the
 *   WAL from a known state.
 *
 * "Thrown from" is read off the stack: the innermost frame of our own code
 * that is not a shared helper (src/pkg, src/gen, and src/tls, whose
 * handshakes serve the client and the peer listeners alike) decides. Frames of Node
 * itself and of other packages are skipped. An Error's stack is where it was
 * made, so a storage error passed up through the API still counts as
 * storage. Tests must never see the recovered line: the test harness fails
 * a test whose server logged it (test/harness/server-process.ts).
 * @module
 */
import type { Logger } from "../pkg/logger.js";

/** The stable line logged for a survived exception; test harnesses look for it. */
export const RECOVERED_MESSAGE = "recovered from an uncaught exception";
const FATAL_MESSAGE = "uncaught exception outside the client API; exiting";

export type UncaughtOrigin = "client-api" | "elsewhere";

/** Layers of src/ (see .dependency-cruiser.cjs); the last `src/<layer>/` of a path names its layer. */
const LAYER_IN_PATH = /(?:^|[/\\])src[/\\](pkg|gen|tls|raft|wal|snap|storage|lease|server|api|client|cli|main)[/\\]/g;
const SHARED_LAYERS: ReadonlySet<string> = new Set(["pkg", "gen", "tls"]);
const GRPC_JS_PATH = /[/\\]node_modules[/\\]@grpc[/\\]grpc-js[/\\]/;
const NODE_MODULES_PATH = /[/\\]node_modules[/\\]/;

/** The layer one stack frame belongs to, or undefined when it does not decide (Node, other packages, shared helpers). */
function deciding(frame: string): string | undefined {
  if (GRPC_JS_PATH.test(frame)) return "api";
  if (NODE_MODULES_PATH.test(frame)) return undefined;
  let layer: string | undefined;
  for (const m of frame.matchAll(LAYER_IN_PATH)) layer = m[1];
  return layer === undefined || SHARED_LAYERS.has(layer) ? undefined : layer;
}

/** Where an uncaught error came from, by the rule of this module. */
export function originOf(error: unknown): UncaughtOrigin {
  const stack = error instanceof Error ? error.stack : undefined;
  if (stack === undefined) return "elsewhere";
  for (const line of stack.split("\n")) {
    if (!line.trimStart().startsWith("at ")) continue;
    const layer = deciding(line);
    if (layer !== undefined) return layer === "api" ? "client-api" : "elsewhere";
  }
  return "elsewhere";
}

type Kind = "uncaughtException" | "unhandledRejection";

/** Logs an uncaught error and keeps the process, or logs it and calls `exit(1)`. */
export function handleUncaught(error: unknown, kind: Kind, logger: Logger, exit: (code: number) => void): void {
  const fields = {
    kind,
    error: error instanceof Error ? error.message : String(error),
    stack: error instanceof Error ? error.stack : undefined,
  };
  if (originOf(error) === "client-api") {
    logger.error(fields, RECOVERED_MESSAGE);
    return;
  }
  logger.error(fields, FATAL_MESSAGE);
  exit(1);
}

/** Installs the guard on this process; returns the function that removes it. */
export function installProcessGuard(logger: Logger, exit: (code: number) => void = (code) => process.exit(code)): () => void {
  const onException = (error: unknown): void => handleUncaught(error, "uncaughtException", logger, exit);
  const onRejection = (reason: unknown): void => handleUncaught(reason, "unhandledRejection", logger, exit);
  process.on("uncaughtException", onException);
  process.on("unhandledRejection", onRejection);
  return () => {
    process.off("uncaughtException", onException);
    process.off("unhandledRejection", onRejection);
  };
}
