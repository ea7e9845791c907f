/**
 * What applying one replicated request produced, handed to the waiting
 * proposer: a response, or the error the client must see. Errors that come
 * from applying (e.g. a compacted revision in a Txn range) are results, not
 * failures of the apply loop: every member reaches the same outcome.
 * @module
 */
import type { EtcdError } from "../../pkg/errors.js";

export type ApplyResult =
  | { readonly ok: true; readonly response: unknown; readonly physical?: Promise<void> }
  | { readonly ok: false; readonly error: EtcdError };
