/**
 * A password hasher whose worker threads start on first use: most members
 * never see a password (auth off, or only token and certificate callers),
 * and an idle pool would cost threads and memory on every one of them.
 * @module
 */
import type { PasswordHasher } from "../../auth/index.js";
import { EtcdError } from "../../pkg/errors.js";

export function lazyPasswordHasher(create: () => PasswordHasher): PasswordHasher {
  let hasher: PasswordHasher | undefined;
  let closed = false;
  const get = (): PasswordHasher => {
    if (closed) throw new EtcdError("Stopped");
    hasher ??= create();
    return hasher;
  };
  return {
    hash: async (password) => get().hash(password),
    verify: async (password, hash) => get().verify(password, hash),
    close: async () => {
      closed = true;
      await hasher?.close();
    },
  };
}
