/**
 * Version constants reported to clients and operators.
 *
 * `SERVER_VERSION` / `CLUSTER_VERSION` / `API_VERSION` are the etcd versions we
 * claim to implement: clients (etcdctl, clientv3, the etcd3 npm package) gate
 * features on them, so they follow etcd's numbering, not ours.
 * `PRODUCT_VERSION` is this project's own release number; a unit test keeps it
 * equal to package.json's "version".
 * @module
 */

/** etcd server version we answer with (Status.version, /version "etcdserver"). */
export const SERVER_VERSION = "3.6.0";

/** Cluster version (/version "etcdcluster"); a single-version cluster equals the server version. */
export const CLUSTER_VERSION = "3.6.0";

/** API version (major.minor), as etcd's version.APIVersion. */
export const API_VERSION = "3.6";

/** This implementation's own version (package.json "version"). */
export const PRODUCT_VERSION = "0.1.0";

/** Product name, used next to PRODUCT_VERSION in `--version` output. */
export const PRODUCT_NAME = "etcd-ts";

/**
 * Commit the binary was built from. Filled in by a release build if it wants to;
 * etcd prints "Not provided" when its build did not stamp one, and so do we.
 */
export const GIT_SHA = "Not provided";
