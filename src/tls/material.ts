/**
 * One side's certificate, key, CA and CRL: checked at load, then re-read
 * when a file changes so the next handshake presents or checks the new one.
 */
import type * as tls from "node:tls";
import type { Logger } from "../pkg/logger.js";
import type { TlsFiles, TlsPolicy } from "./types.js";

export interface TlsMaterialOptions {
  readonly files: TlsFiles;
  readonly policy: TlsPolicy;
  readonly logger: Logger;
  /** Shortest time between two looks at the files' stats; 0: at every `context()` call. */
  readonly recheckMs?: number;
  /** Milliseconds now (injectable for tests); default Date.now. */
  readonly now?: () => number;
}

export class TlsMaterial {
  /** Reads and checks every file (exists, parses, key matches cert, cert not expired, CA verifies cert when both are given, CRL parses). Throws TlsConfigError. */
  static load(options: TlsMaterialOptions): TlsMaterial {
    void options;
    throw new Error("src/tls: not built yet");
  }

  /** The secure context for the next handshake, rebuilt first when a file changed; a broken new set keeps the old one (logged once per change). */
  context(): tls.SecureContext {
    throw new Error("src/tls: not built yet");
  }

  /** True when a CA bundle is configured (to verify the other side). */
  get hasTrustedCa(): boolean {
    return false;
  }

  /** True when a certificate and key are configured (to present). */
  get hasCertificate(): boolean {
    return false;
  }
}
