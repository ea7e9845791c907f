/**
 * The `etcdutl` command: etcd 3.6's offline tool for data files
 * (snapshot status and restore, defrag, hashkv, version) and our
 * migrate-from-etcd. See README.md.
 * @module
 */
export { runEtcdutl } from "./etcdutl.js";
export type { EtcdutlIo } from "./context.js";
export { renderProgress } from "./progress.js";
