/**
 * The watchable store: watchers, their groups, catch-up and victims. See README.md.
 * @module
 */

export { WatchableStore, type WatchableStoreOptions } from "./watchable-store.js";
export type { StreamHandle } from "./watch-stream.js";
export { WatchStream } from "./watch-stream.js";
export {
  AUTO_WATCH_ID,
  INVALID_WATCH_ID,
  DEFAULT_WATCH_LIMITS,
  WatchError,
  type WatchErrorKind,
  type StoreWatchResponse,
  type WatchReceiver,
  type WatchSource,
  type WatchFilters,
  type WatchLimits,
  type WatchStats,
} from "./types.js";
export { eventBytes } from "./event-batch.js";
