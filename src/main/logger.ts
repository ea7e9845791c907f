/**
 * The process logger: pino, shaped like etcd's zap JSON output
 * ({"level":"info","ts":"…","msg":"…", …fields}) so log pipelines written for
 * etcd keep working; `--log-outputs` and `--log-level` as etcd reads them.
 * @module
 */
import pino from "pino";
import type { Logger } from "../pkg/logger.js";

export type LogLevel = "debug" | "info" | "warn" | "error" | "panic" | "fatal";

export interface LoggerOptions {
  level: LogLevel;
  /** "stderr", "stdout", "default" (= stderr) or file paths. */
  outputs: readonly string[];
}

function destinationOf(output: string): pino.DestinationStream {
  switch (output) {
    case "default":
    case "stderr":
      return pino.destination({ dest: 2, sync: true });
    case "stdout":
      return pino.destination({ dest: 1, sync: true });
    default:
      return pino.destination({ dest: output, sync: true, mkdir: true, append: true });
  }
}

export function createLogger(options: LoggerOptions): Logger {
  const level = options.level === "panic" ? "fatal" : options.level;
  const streams = (options.outputs.length > 0 ? options.outputs : ["default"]).map((o) => ({ stream: destinationOf(o), level }));
  return pino(
    {
      level,
      base: undefined,
      messageKey: "msg",
      errorKey: "error",
      timestamp: () => `,"ts":"${new Date().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.multistream(streams),
  ) as unknown as Logger;
}
