/**
 * etcdutl's command tree: names, usage lines, short help and flags as
 * etcd 3.6's etcdutl declares them, plus `migrate-from-etcd` of ours.
 * @module
 */
import type { FlagSpec } from "./flags.js";
import type { CommandSpec } from "./usage.js";

export const DEFAULT_NAME = "default";
export const DEFAULT_INITIAL_ADVERTISE_PEER_URLS = "http://localhost:2380";

const rootFlags: FlagSpec[] = [
  { name: "timeout", kind: "duration", defaultText: "10s", usage: "time to wait to obtain a file lock on db file, 0 to block indefinitely" },
  { name: "write-out", shorthand: "w", kind: "string", defaultText: "simple", usage: "set the output format (fields, json, protobuf, simple, table)" },
];

const dataDirFlag = (usage: string): FlagSpec => ({ name: "data-dir", kind: "string", defaultText: "", usage });

const snapshotRestore: CommandSpec = {
  name: "restore",
  use: "restore <filename> --data-dir {output dir} [options]",
  short: "Restores an etcd member snapshot to an etcd directory",
  runnable: true,
  subcommands: [],
  flags: [
    dataDirFlag("Path to the output data directory"),
    { name: "wal-dir", kind: "string", defaultText: "", usage: "Path to the WAL directory (use --data-dir if none given)" },
    { name: "initial-cluster", kind: "string", defaultText: `${DEFAULT_NAME}=${DEFAULT_INITIAL_ADVERTISE_PEER_URLS}`, usage: "Initial cluster configuration for restore bootstrap" },
    { name: "initial-cluster-token", kind: "string", defaultText: "etcd-cluster", usage: "Initial cluster token for the etcd cluster during restore bootstrap" },
    { name: "initial-advertise-peer-urls", kind: "string", defaultText: DEFAULT_INITIAL_ADVERTISE_PEER_URLS, usage: "List of this member's peer URLs to advertise to the rest of the cluster" },
    { name: "name", kind: "string", defaultText: DEFAULT_NAME, usage: "Human-readable name for this member" },
    { name: "skip-hash-check", kind: "bool", defaultText: "false", usage: "Ignore snapshot integrity hash value (required if copied from data directory)" },
    { name: "bump-revision", kind: "uint64", defaultText: "0", usage: "How much to increase the latest revision after restore" },
    {
      name: "mark-compacted",
      kind: "bool",
      defaultText: "false",
      usage: "Mark the latest revision after restore as the point of scheduled compaction (required if --bump-revision > 0, disallowed otherwise)",
    },
  ],
};

const snapshotStatus: CommandSpec = {
  name: "status",
  use: "status <filename>",
  short: "Gets backend snapshot status of a given file",
  runnable: true,
  subcommands: [],
  flags: [],
};

const snapshot: CommandSpec = {
  name: "snapshot",
  use: "snapshot <subcommand>",
  short: "Manages etcd node snapshots",
  runnable: false,
  subcommands: [snapshotRestore, snapshotStatus],
  flags: [],
};

const defrag: CommandSpec = {
  name: "defrag",
  use: "defrag",
  short: "Defragments the storage of the etcd",
  runnable: true,
  subcommands: [],
  flags: [dataDirFlag("Required. Defragments a data directory not in use by etcd.")],
};

const hashkv: CommandSpec = {
  name: "hashkv",
  use: "hashkv <filename>",
  short: "Prints the KV history hash of a given file",
  runnable: true,
  subcommands: [],
  flags: [{ name: "rev", kind: "int64", defaultText: "0", usage: "maximum revision to hash (default: latest revision)" }],
};

const version: CommandSpec = {
  name: "version",
  use: "version",
  short: "Prints the version of etcdutl",
  runnable: true,
  subcommands: [],
  flags: [],
};

const migrateFromEtcd: CommandSpec = {
  name: "migrate-from-etcd",
  use: "migrate-from-etcd",
  short: "Converts a stopped real etcd member's data dir into ours, in place (not in etcd's etcdutl)",
  runnable: true,
  subcommands: [],
  flags: [
    dataDirFlag("Required. A stopped real etcd member's data directory, converted in place for etcd-ts (a command of etcd-ts, not in etcd's etcdutl)."),
    { name: "wal-dir", kind: "string", defaultText: "", usage: "The member's WAL directory, when it is not <data-dir>/member/wal" },
  ],
};

const help: CommandSpec = {
  name: "help",
  use: "help [command]",
  short: "Help about any command",
  runnable: true,
  subcommands: [],
  flags: [],
};

export const ROOT: CommandSpec = {
  name: "etcdutl",
  use: "etcdutl",
  short: "An administrative command line tool for etcd3.",
  runnable: false,
  subcommands: [defrag, hashkv, help, migrateFromEtcd, snapshot, version],
  flags: rootFlags,
};

/** The flags a command declares as required (cobra's MarkFlagRequired). */
export const REQUIRED_FLAGS: ReadonlyMap<CommandSpec, readonly string[]> = new Map([
  [defrag, ["data-dir"]],
  [migrateFromEtcd, ["data-dir"]],
]);
