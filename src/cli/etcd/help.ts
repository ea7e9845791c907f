/**
 * `etcd -h` and `etcd --version` texts. The help is generated from the flag
 * table (so it cannot miss a flag), grouped like etcd's, with each flag's
 * default; the wording is ours.
 * @module
 */
import { FLAG_SPECS, HELP_GROUPS, type FlagSpec } from "./flags.js";
import { featureGateHelpLines } from "./feature-gates.js";
import { GIT_SHA, PRODUCT_NAME, PRODUCT_VERSION, SERVER_VERSION } from "../../version.js";

/** The usage summary etcd prints (to stderr) before a flag syntax error, and atop the help. */
export const USAGE = `Usage:

  etcd [flags]
    Start an etcd server.

  etcd --version
    Print the version and exit.

  etcd -h | --help
    Print this help and exit.

  etcd --config-file <path>
    Read every setting from a YAML file. When a file is given, all other flags
    and ETCD_* environment variables are ignored.
`;

const ENV_NOTE = `Each flag can also come from the environment: --some-flag is read from
ETCD_SOME_FLAG. Giving the same setting both as a flag and as a variable is an
error. Numbers accept Go syntax (0x10, 1_000), booleans 1/0/t/f/true/false,
durations Go syntax (500ms, 1m30s).
`;

function entry(spec: FlagSpec): string {
  const shown = spec.helpDefault ?? spec.def;
  let text = `  --${spec.name} '${shown}'\n    ${spec.help}\n`;
  if (spec.kind.type === "featureGates") {
    text += featureGateHelpLines()
      .map((line) => `      ${line}\n`)
      .join("");
  }
  return text;
}

/** The full `-h` text: usage, environment note, then every flag by group. */
export function helpText(): string {
  let out = USAGE + "\n" + ENV_NOTE;
  for (const group of HELP_GROUPS) {
    const members = FLAG_SPECS.filter((f) => f.group === group);
    if (members.length === 0) continue;
    out += `\n${group}:\n` + members.map(entry).join("");
  }
  out += "\nUnsafe flags can break the guarantees of the consensus protocol; use them only to recover.\n";
  return out;
}

/** Facts about the running process that `--version` prints; injected so the text is testable. */
export interface RuntimeInfo {
  readonly nodeVersion: string;
  readonly platform: string;
  readonly arch: string;
}

/**
 * `--version`: the first two lines have etcd's shape (tools grep
 * "etcd Version:"); Go's runtime lines become Node.js ones; a last line names
 * this implementation.
 */
export function versionText(runtime: RuntimeInfo): string {
  return (
    `etcd Version: ${SERVER_VERSION}\n` +
    `Git SHA: ${GIT_SHA}\n` +
    `Node.js Version: ${runtime.nodeVersion}\n` +
    `OS/Arch: ${runtime.platform}/${runtime.arch}\n` +
    `${PRODUCT_NAME} Version: ${PRODUCT_VERSION}\n`
  );
}
