/**
 * The usage text cobra prints for `-h`, for `help <command>` and after a
 * command-line error: etcdutl sets its help template to the usage alone.
 * pflag's column layout for the flags.
 * @module
 */
import type { FlagSpec } from "./flags.js";

/** A node of the command tree, as cobra knows it. */
export interface CommandSpec {
  readonly name: string;
  /** cobra's `Use`: the name, then what the command takes. */
  readonly use: string;
  readonly short: string;
  readonly flags: readonly FlagSpec[];
  readonly subcommands: readonly CommandSpec[];
  /** Has a Run: without one, the command only groups its subcommands. */
  readonly runnable: boolean;
}

/** cobra's `-h` flag, which it adds to every command. */
export function helpFlag(command: CommandSpec): FlagSpec {
  return { name: "help", shorthand: "h", kind: "bool", defaultText: "false", usage: `help for ${command.name}` };
}

/** pflag's FlagUsages: one line per flag, sorted by name, the usage texts aligned in one column. */
export function flagUsages(flags: readonly FlagSpec[]): string {
  const sorted = [...flags].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const heads = sorted.map((f) => {
    const name = f.shorthand !== undefined ? `  -${f.shorthand}, --${f.name}` : `      --${f.name}`;
    return f.kind === "bool" ? name : `${name} ${typeName(f)}`;
  });
  const width = Math.max(0, ...heads.map((h) => h.length));
  return sorted.map((f, i) => `${heads[i]!.padEnd(width)}   ${f.usage}${defaultSuffix(f)}\n`).join("");
}

function typeName(f: FlagSpec): string {
  switch (f.kind) {
    case "uint64":
      return "uint";
    case "int64":
      return "int";
    default:
      return f.kind;
  }
}

function defaultSuffix(f: FlagSpec): string {
  const zero = f.kind === "string" ? "" : f.kind === "bool" ? "false" : f.kind === "duration" ? "0s" : "0";
  if (f.defaultText === zero) return "";
  return f.kind === "string" ? ` (default ${JSON.stringify(f.defaultText)})` : ` (default ${f.defaultText})`;
}

/** cobra's UseLine: the command path and the rest of `use`, with " [flags]" added. */
export function useLine(path: readonly CommandSpec[]): string {
  const command = path[path.length - 1]!;
  const parents = path.slice(0, -1).map((c) => c.name);
  const line = [...parents, command.use].join(" ");
  return line.includes("[flags]") ? line : `${line} [flags]`;
}

/** cobra's default usage template, for the last command of `path` (the root first). */
export function usageText(path: readonly CommandSpec[]): string {
  const command = path[path.length - 1]!;
  const commandPath = path.map((c) => c.name).join(" ");
  // The root's flags are persistent: every other command inherits them.
  const inherited = path.length > 1 ? path[0]!.flags : [];
  const local = [...command.flags, helpFlag(command)];
  let out = "Usage:";
  if (command.runnable) out += `\n  ${useLine(path)}`;
  const subcommands = command.subcommands;
  if (subcommands.length > 0) {
    out += `\n  ${commandPath} [command]`;
    const padding = Math.max(11, ...subcommands.map((c) => c.name.length));
    out += "\n\nAvailable Commands:";
    for (const c of [...subcommands].sort((a, b) => (a.name < b.name ? -1 : 1))) out += `\n  ${c.name.padEnd(padding)} ${c.short}`;
  }
  out += `\n\nFlags:\n${flagUsages(local).trimEnd()}`;
  if (inherited.length > 0) out += `\n\nGlobal Flags:\n${flagUsages(inherited).trimEnd()}`;
  if (subcommands.length > 0) out += `\n\nUse "${commandPath} [command] --help" for more information about a command.`;
  return `${out}\n`;
}
