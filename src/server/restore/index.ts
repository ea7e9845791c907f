/** Restoring a snapshot into a new data dir, and migrating a real etcd data dir to ours. See README.md. @module */
export { restoreSnapshot, RestoreError, type RestoreOptions, type RestoreResult } from "./restore.js";
export { migrateDataDir, ORIGINAL_SUFFIX, type MigrateOptions, type MigrateResult } from "./migrate.js";
