/** `etcdutl version`: etcd's two lines, with the etcd version we implement, then ours. @module */
import { API_VERSION, PRODUCT_NAME, PRODUCT_VERSION, SERVER_VERSION } from "../../version.js";
import type { CommandContext } from "./context.js";

export function versionCommand(ctx: CommandContext): void {
  ctx.io.stdout(`etcdutl version: ${SERVER_VERSION}\nAPI version: ${API_VERSION}\n${PRODUCT_NAME} version: ${PRODUCT_VERSION}\n`);
}
