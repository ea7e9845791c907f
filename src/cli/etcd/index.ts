/**
 * The `etcd` command's configuration layer: flags, ETCD_* environment,
 * `--config-file`, `-h` and `--version`, with etcd's names, defaults and
 * error messages. See README.md.
 * @module
 */
export { parseEtcdConfig, type ParseOutcome, type ParseOptions } from "./parse.js";
export type * from "./config.js";
export type { EtcdUrl, UrlScheme } from "../../pkg/go-url.js";
export { parseEtcdUrl, parseEtcdUrls, EtcdUrlError } from "../../pkg/go-url.js";
export { verifyBootstrap, verifyJoinExisting, bootstrapMembers, parseInitialCluster, initialClusterString } from "./bootstrap.js";
export { helpText, versionText, USAGE, type RuntimeInfo } from "./help.js";
export { UNIMPLEMENTED_FLAGS } from "./unimplemented.js";
export { FLAG_SPECS, flagToEnv, type FlagSpec } from "./flags.js";
