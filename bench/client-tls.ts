/**
 * TLS on the client port for the KV bench, as kubeadm runs etcd: an https
 * client URL, a server certificate, and client-certificate auth against one CA.
 * One PKI is made per bench run (test/harness/certs.ts) and given to both
 * servers and to the generator, so real etcd and ours see the same
 * certificates (ECDSA P-256) and the same handshakes.
 */
import { createPki } from "../test/harness/certs.js";
import type { ListenerTls } from "../test/harness/server-process.js";

export interface ClientTls {
  /** The server's client listener: its certificate, the CA, --client-cert-auth. */
  readonly listener: ListenerTls;
  /** etcdload's flags: verify the server with the CA, present the client certificate. */
  readonly loadArgs: readonly string[];
  remove(): void;
}

export async function createClientTls(): Promise<ClientTls> {
  const pki = await createPki();
  return {
    listener: { cert: pki.server.cert, key: pki.server.key, trustedCa: pki.caFile, clientCertAuth: true },
    loadArgs: ["--cacert", pki.caFile, "--cert", pki.client.cert, "--key", pki.client.key],
    remove: () => pki.remove(),
  };
}
