/**
 * The worker side of the password pool (piscina runs this module's default
 * export in each thread): one bcrypt hash or comparison per task.
 * @module
 */
import { bcryptHash, bcryptVerify } from "./bcrypt-format.js";

export type PasswordTask = { readonly op: "hash"; readonly password: string; readonly cost: number } | { readonly op: "verify"; readonly password: string; readonly hash: string };

export default function runPasswordTask(task: PasswordTask): string | boolean {
  return task.op === "hash" ? bcryptHash(task.password, task.cost) : bcryptVerify(task.password, task.hash);
}
