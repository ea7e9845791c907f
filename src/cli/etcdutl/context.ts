/**
 * What every etcdutl command gets (its parsed flags and the process's
 * streams) and how it fails: a {@link CommandError} is printed as
 * cobrautl prints it, `Error: <message>`, and ends the process with its
 * exit code.
 * @module
 */
import { statSync } from "node:fs";
import type { FlagValue, ParsedFlags } from "./flags.js";

export interface EtcdutlIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** stderr is a terminal: progress bars are drawn there. */
  readonly stderrIsTty: boolean;
  now(): Date;
}

export interface CommandContext {
  readonly io: EtcdutlIo;
  readonly flags: ParsedFlags;
}

/** cobrautl's exit codes. */
export const EXIT_ERROR = 1;
export const EXIT_BAD_FEATURE = 4;
export const EXIT_BAD_ARGS = 128;

export class CommandError extends Error {
  override readonly name = "CommandError";
  readonly exitCode: number;

  constructor(message: string, exitCode = EXIT_ERROR) {
    super(message);
    this.exitCode = exitCode;
  }
}

export function stringFlag(flags: ParsedFlags, name: string): string {
  return expectKind(flags.values.get(name), "string", name);
}

export function boolFlag(flags: ParsedFlags, name: string): boolean {
  return expectKind(flags.values.get(name), "boolean", name);
}

export function bigintFlag(flags: ParsedFlags, name: string): bigint {
  return expectKind(flags.values.get(name), "bigint", name);
}

function expectKind<K extends "string" | "boolean" | "bigint">(
  v: FlagValue | undefined,
  kind: K,
  name: string,
): K extends "string" ? string : K extends "boolean" ? boolean : bigint {
  if (typeof v !== kind) throw new Error(`etcdutl: flag --${name} is not a ${kind}`);
  return v as K extends "string" ? string : K extends "boolean" ? boolean : bigint;
}

/** Go's os.Stat error text (`stat x: no such file or directory`), or undefined when `path` exists. */
export function statProblem(path: string): string | undefined {
  try {
    statSync(path);
    return undefined;
  } catch (err) {
    return goFileError("stat", path, err);
  }
}

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EISDIR: "is a directory",
  ENOTDIR: "not a directory",
};

/** A Node file-system error in Go's words: `<op> <path>: <reason>`. */
export function goFileError(op: string, path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const reason = code !== undefined ? ERRNO_TEXT[code] : undefined;
  return `${op} ${path}: ${reason ?? (err instanceof Error ? err.message : String(err))}`;
}
