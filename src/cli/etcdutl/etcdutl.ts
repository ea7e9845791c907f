/**
 * The `etcdutl` command: finds the command as cobra does (prefix matching
 * on), parses its flags, and runs it. Command-line mistakes get cobra's
 * output (the error, the usage, the error again through cobrautl);
 * failures of a command get `Error: <message>` and its exit code.
 * @module
 */
import type { Logger } from "../../pkg/logger.js";
import { REQUIRED_FLAGS, ROOT } from "./commands.js";
import { consoleLogger } from "./console-log.js";
import { bigintFlag, CommandError, EXIT_ERROR, goFileError, type CommandContext, type EtcdutlIo } from "./context.js";
import { defragCommand } from "./defrag-command.js";
import { FlagError, parseFlags, type FlagSpec, type ParsedFlags } from "./flags.js";
import { hashKvCommand } from "./hashkv-command.js";
import { migrateCommand } from "./migrate-command.js";
import { OutputFormatError } from "./printer.js";
import { snapshotRestoreCommand } from "./restore-command.js";
import { snapshotStatusCommand } from "./status-command.js";
import { usageText, type CommandSpec } from "./usage.js";
import { versionCommand } from "./version-command.js";

/** A command line cobra refuses before running anything; `usage` is set when cobra prints the usage with it. */
class UsageError extends Error {
  override readonly name = "UsageError";
  readonly usage: string | undefined;

  constructor(message: string, usage?: string) {
    super(message);
    this.usage = usage;
  }
}

/** Runs etcdutl with `argv` (without the program name) and returns the exit code. */
export async function runEtcdutl(argv: readonly string[], io: EtcdutlIo): Promise<number> {
  try {
    await dispatch(argv, io);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`Error: ${err.message}\n`);
      io.stderr(err.usage !== undefined ? `${err.usage}\n` : `Run '${ROOT.name} --help' for usage.\n`);
      io.stderr(`Error: ${err.message}\n`);
      return EXIT_ERROR;
    }
    if (err instanceof CommandError || err instanceof OutputFormatError) {
      io.stderr(`Error: ${err.message}\n`);
      return err.exitCode;
    }
    // A file that vanished or cannot be read midway: Go's words, as etcdutl would print its os error.
    const errno = err as NodeJS.ErrnoException;
    if (errno.syscall !== undefined && errno.code !== undefined) {
      io.stderr(`Error: ${goFileError(errno.syscall, errno.path ?? "", err)}\n`);
      return EXIT_ERROR;
    }
    throw err;
  }
}

async function dispatch(argv: readonly string[], io: EtcdutlIo): Promise<void> {
  const { path, rest } = findCommand(argv);
  const command = path[path.length - 1]!;
  const usage = usageText(path);
  const specs: FlagSpec[] = path.length > 1 ? [...ROOT.flags, ...command.flags] : [...ROOT.flags];
  let flags: ParsedFlags;
  try {
    flags = parseFlags(rest, specs);
  } catch (err) {
    if (err instanceof FlagError) throw new UsageError(err.message, usage);
    throw err;
  }
  if (command.name === "help") {
    io.stdout(usageText(findCommand(flags.args).path));
    return;
  }
  if (flags.help || !command.runnable) {
    io.stdout(usage);
    return;
  }
  if (command.name === "hashkv" && flags.args.length !== 1) throw new UsageError(`accepts 1 arg(s), received ${flags.args.length}`, usage);
  const missing = (REQUIRED_FLAGS.get(command) ?? []).filter((name) => !flags.given.has(name));
  if (missing.length > 0) throw new UsageError(`required flag(s) ${missing.map((n) => `"${n}"`).join(", ")} not set`, usage);
  const ctx: CommandContext = { io, flags };
  const log: Logger = consoleLogger((line) => io.stderr(line), () => io.now());
  const lockTimeoutNs = bigintFlag(flags, "timeout");
  switch (path.map((c) => c.name).join(" ")) {
    case "etcdutl snapshot status":
      return snapshotStatusCommand(ctx);
    case "etcdutl snapshot restore":
      return snapshotRestoreCommand(ctx, log);
    case "etcdutl defrag":
      return defragCommand(ctx, lockTimeoutNs, log);
    case "etcdutl hashkv":
      return hashKvCommand(ctx, lockTimeoutNs);
    case "etcdutl migrate-from-etcd":
      return migrateCommand(ctx, lockTimeoutNs, log);
    case "etcdutl version":
      return versionCommand(ctx);
  }
  throw new Error(`etcdutl: no action for ${command.name}`);
}

/**
 * cobra's Find: walks the arguments that are not flags (skipping the value
 * of a flag that takes one), descending into the subcommand each one names
 * (or uniquely prefixes). An unknown word at the root is an error; below
 * it, words are the command's arguments.
 */
function findCommand(argv: readonly string[]): { path: CommandSpec[]; rest: string[] } {
  const path: CommandSpec[] = [ROOT];
  const rest: string[] = [];
  let descending = true;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg.startsWith("-") && arg !== "-") {
      rest.push(arg);
      if (takesSeparateValue(arg, path) && i + 1 < argv.length) rest.push(argv[++i]!);
      continue;
    }
    const current = path[path.length - 1]!;
    const next = descending ? subcommand(current, arg) : undefined;
    if (next !== undefined) {
      path.push(next);
      continue;
    }
    if (descending && current === ROOT) throw new UsageError(`unknown command "${arg}" for "${ROOT.name}"`);
    descending = false;
    rest.push(arg);
  }
  return { path, rest };
}

function subcommand(parent: CommandSpec, word: string): CommandSpec | undefined {
  const exact = parent.subcommands.find((c) => c.name === word);
  if (exact !== undefined) return exact;
  const prefixed = parent.subcommands.filter((c) => c.name.startsWith(word));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** `--name value` or `-x value` with a flag that is not a bool: its value is the next argument. */
function takesSeparateValue(arg: string, path: readonly CommandSpec[]): boolean {
  if (arg.includes("=")) return false;
  const flags = path.flatMap((c) => c.flags);
  const spec = arg.startsWith("--") ? flags.find((f) => `--${f.name}` === arg) : arg.length === 2 ? flags.find((f) => f.shorthand === arg[1]) : undefined;
  return spec !== undefined && spec.kind !== "bool";
}
