/**
 * The consistent index (last applied raft index and term) kept in the backend. See README.md.
 * @module
 */
export { ConsistentIndex, type AppliedPosition } from "./consistent-index.js";
