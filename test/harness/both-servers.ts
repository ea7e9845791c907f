/**
 * Differential tests: real etcd and ours started side by side for a test
 * file (node:test before/after hooks), each with a client of the test's kind.
 */
import { after, before } from "node:test";
import { startServer, type ServerProcess } from "./server-process.js";

export interface BothServers<C> {
  /** Set once the `before` hook has run. */
  real?: C;
  ours?: C;
}

/** Starts both servers before the file's tests and stops them after; `connect` makes each one's client. */
export function bothServers<C extends { close(): void }>(connect: (endpoint: string) => C): BothServers<C> {
  const clients: BothServers<C> = {};
  const servers: { real?: ServerProcess; ours?: ServerProcess } = {};
  before(async () => {
    [servers.real, servers.ours] = await Promise.all([startServer({ flavor: "real" }), startServer({ flavor: "ours" })]);
    clients.real = connect(servers.real.endpoint);
    clients.ours = connect(servers.ours.endpoint);
  });
  after(async () => {
    clients.real?.close();
    clients.ours?.close();
    await Promise.all([servers.real?.stop(), servers.ours?.stop()]);
  });
  return clients;
}
