/**
 * The `etcdutl` command: the process around src/cli/etcdutl — its
 * arguments, stdout and stderr (whether stderr is a terminal decides the
 * progress bar), the clock of its log lines, and its exit code.
 * @module
 */
import { runEtcdutl } from "../cli/etcdutl/index.js";

export async function main(argv: string[]): Promise<number> {
  return runEtcdutl(argv, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stderrIsTty: process.stderr.isTTY === true,
    now: () => new Date(),
  });
}
