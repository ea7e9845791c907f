/**
 * etcd's JWT tokens: claims {username, revision, exp}, signed with the
 * configured method (RS256/384/512, PS256/384/512, ES256/384/512,
 * HS256/384/512) and key files; a member given only the public key verifies
 * but cannot issue ("token signing attempted with verify-only key"). Every
 * member configured with the same keys accepts tokens any of them issued.
 *
 * Signing and verifying use node:crypto directly (synchronous, ~µs for
 * ECDSA and RSA verify; see README.md for the measurement against `jose`).
 * A token is laid out as golang-jwt lays it out: header {"alg","typ":"JWT"}
 * and claims with sorted keys, base64url without padding.
 * @module
 */
import { createHmac, sign as cryptoSign, verify as cryptoVerify, timingSafeEqual, constants, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import type { AuthInfo } from "./auth-info.js";
import { AuthConfigError, INVALID_AUTH_OPTIONS } from "./auth-config-error.js";
import { parseGoDurationMs } from "./go-duration.js";
import { isPublicHalfOf, JWT_METHODS, KeyFileError, readPrivateKey, readPublicKey, type JwtMethod } from "./jwt-keys.js";

/** etcd's default JWT ttl (5 minutes). */
export const DEFAULT_JWT_TTL_MS = 5 * 60 * 1000;

/** The options of `--auth-token jwt,…`: sign-method, pub-key, priv-key, ttl. */
export type JwtOptions = Readonly<Record<string, string>>;

const KNOWN_OPTIONS = new Set(["sign-method", "pub-key", "priv-key", "ttl"]);

/** What signs and checks: an asymmetric key pair (or its public half only), or an HMAC secret. */
type SigningKey = { readonly kind: "asymmetric"; readonly publicKey: KeyObject; readonly privateKey: KeyObject | undefined } | { readonly kind: "secret"; readonly secret: Buffer };

export class JwtTokens {
  readonly #method: JwtMethod;
  readonly #key: SigningKey;
  readonly #ttlMs: number;
  /** Option names etcd does not know; it warns about them and goes on. */
  readonly ignoredOptions: readonly string[];

  private constructor(method: JwtMethod, key: SigningKey, ttlMs: number, ignoredOptions: readonly string[]) {
    this.#method = method;
    this.#key = key;
    this.#ttlMs = ttlMs;
    this.ignoredOptions = ignoredOptions;
  }

  /**
   * Reads the key files; throws AuthConfigError with the message etcd 3.4
   * stops with: "auth: invalid auth options" for a bad ttl, an unreadable
   * file or an unknown sign-method (the reason in `detail`, as etcd logs
   * it), "auth: missing key data", golang-jwt's text for a key it cannot
   * read, "auth: public and private keys don't match".
   */
  static fromOptions(options: JwtOptions): JwtTokens {
    const loading = (detail: string): AuthConfigError => new AuthConfigError(INVALID_AUTH_OPTIONS, detail);
    // The order of etcd's jwtOptions.Parse: ttl, public key file, private key file, method.
    let ttlMs = DEFAULT_JWT_TTL_MS;
    const ttl = options.ttl ?? "";
    if (ttl !== "") {
      const parsed = parseGoDurationMs(ttl);
      if (typeof parsed !== "number") throw loading(parsed.error);
      ttlMs = parsed;
    }
    const readKeyFile = (option: "pub-key" | "priv-key"): Buffer | undefined => {
      const path = options[option] ?? "";
      if (path === "") return undefined;
      try {
        return readFileSync(path);
      } catch (err) {
        throw loading(goFileError(path, err));
      }
    };
    const publicFile = readKeyFile("pub-key");
    const privateFile = readKeyFile("priv-key");
    const method = JWT_METHODS.get(options["sign-method"] ?? "");
    if (method === undefined) throw loading("auth: invalid auth signature method");
    const ignored = Object.keys(options).filter((k) => !KNOWN_OPTIONS.has(k));
    return new JwtTokens(method, signingKey(method, publicFile, privateFile), ttlMs, ignored);
  }

  /** Ttl of issued tokens, in ms. */
  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** The signing method's name ("RS256", …). */
  get algorithm(): string {
    return this.#method.alg;
  }

  /** False when only the public key was given. */
  get canSign(): boolean {
    return this.#key.kind === "secret" || this.#key.privateKey !== undefined;
  }

  /**
   * A token for `username` at auth `revision`, expiring the ttl after
   * `nowMs` (wall-clock ms since the epoch). Throws etcd's "auth: token
   * signing attempted with verify-only key" without a private key.
   */
  sign(username: string, revision: bigint, nowMs: number): string {
    if (!this.canSign) throw new Error("auth: token signing attempted with verify-only key");
    const header = encodeSegment(`{"alg":${goJson(this.#method.alg)},"typ":"JWT"}`);
    // Go's Time.Unix: whole seconds, rounded down.
    const exp = Math.floor((nowMs + this.#ttlMs) / 1000);
    const claims = encodeSegment(`{"exp":${exp},"revision":${revision},"username":${goJson(username)}}`);
    const signingInput = `${header}.${claims}`;
    return `${signingInput}.${this.#signature(signingInput).toString("base64url")}`;
  }

  /** The claims of a token signed with our key and method and not expired at `nowMs` (wall-clock ms); undefined otherwise, never an exception. */
  verify(token: string, nowMs: number): AuthInfo | undefined {
    const parts = token.split(".");
    if (parts.length !== 3) return undefined;
    const [headerPart, claimsPart, signaturePart] = parts as [string, string, string];
    const header = decodeJsonObject(headerPart);
    if (header === undefined || header.alg !== this.#method.alg) return undefined;
    const signature = decodeSegment(signaturePart);
    if (signature === undefined || !this.#signatureMatches(`${headerPart}.${claimsPart}`, signature)) return undefined;
    const claims = decodeJsonObject(claimsPart);
    if (claims === undefined || !timeClaimsValid(claims, Math.floor(nowMs / 1000))) return undefined;
    const { username, revision } = claims;
    if (typeof username !== "string" || typeof revision !== "number" || !Number.isFinite(revision) || revision < 0) return undefined;
    return { username, revision: BigInt(Math.trunc(revision)) };
  }

  #signature(input: string): Buffer {
    const { family, hash, curve } = this.#method;
    const key = this.#key;
    if (key.kind === "secret") return createHmac(hash, key.secret).update(input).digest();
    const privateKey = key.privateKey!;
    if (curve !== undefined && privateKey.asymmetricKeyDetails?.namedCurve !== curve.name) throw new Error("key is invalid");
    return cryptoSign(hash, Buffer.from(input), {
      key: privateKey,
      ...(family === "RSA-PSS" ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } : {}),
      ...(family === "ECDSA" ? { dsaEncoding: "ieee-p1363" as const } : {}),
    });
  }

  #signatureMatches(input: string, signature: Buffer): boolean {
    const { family, hash, curve } = this.#method;
    const key = this.#key;
    if (key.kind === "secret") {
      const expected = createHmac(hash, key.secret).update(input).digest();
      return expected.length === signature.length && timingSafeEqual(expected, signature);
    }
    // golang-jwt: an ECDSA signature is exactly R||S of the method's size.
    if (curve !== undefined && signature.length !== 2 * curve.bytes) return false;
    try {
      return cryptoVerify(
        hash,
        Buffer.from(input),
        {
          key: key.publicKey,
          // PS*: signed with salt length = hash length, checked with any salt length (golang-jwt's VerifyOptions).
          ...(family === "RSA-PSS" ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO } : {}),
          ...(family === "ECDSA" ? { dsaEncoding: "ieee-p1363" as const } : {}),
        },
        signature,
      );
    } catch {
      return false;
    }
  }
}

/** etcd's jwtOptions.Key for the method's family. */
function signingKey(method: JwtMethod, publicFile: Buffer | undefined, privateFile: Buffer | undefined): SigningKey {
  if (method.family === "HMAC") {
    if (privateFile === undefined || privateFile.length === 0) throw new AuthConfigError("auth: missing key data");
    return { kind: "secret", secret: privateFile };
  }
  const family = method.family === "ECDSA" ? "ECDSA" : "RSA";
  try {
    const privateKey = privateFile !== undefined && privateFile.length > 0 ? readPrivateKey(privateFile, family) : undefined;
    const givenPublic = publicFile !== undefined && publicFile.length > 0 ? readPublicKey(publicFile, family) : undefined;
    if (privateKey === undefined) {
      if (givenPublic === undefined) throw new AuthConfigError("auth: missing key data");
      return { kind: "asymmetric", publicKey: givenPublic, privateKey: undefined };
    }
    if (givenPublic !== undefined && !isPublicHalfOf(givenPublic, privateKey)) throw new AuthConfigError("auth: public and private keys don't match");
    return { kind: "asymmetric", publicKey: givenPublic ?? privateKey, privateKey };
  } catch (err) {
    if (err instanceof KeyFileError) throw new AuthConfigError(err.message);
    throw err;
  }
}

/**
 * golang-jwt's MapClaims.Valid at `nowSeconds`: exp must lie after now, and
 * iat and nbf, when present, not after it; a time claim that is not a
 * number fails. Unlike golang-jwt we also refuse a token without exp: etcd
 * never issues one, and one that never expires is not a credential to take.
 */
function timeClaimsValid(claims: Record<string, unknown>, nowSeconds: number): boolean {
  const seconds = (name: string): number | undefined | null => {
    const v = claims[name];
    if (v === undefined) return undefined;
    return typeof v === "number" && Number.isFinite(v) ? Math.floor(v) : null;
  };
  const exp = seconds("exp");
  const iat = seconds("iat");
  const nbf = seconds("nbf");
  if (exp === undefined || exp === null || nowSeconds >= exp) return false;
  if (iat === null || (iat !== undefined && nowSeconds < iat)) return false;
  if (nbf === null || (nbf !== undefined && nowSeconds < nbf)) return false;
  return true;
}

function encodeSegment(json: string): string {
  return Buffer.from(json, "utf8").toString("base64url");
}

/** Go's base64.RawURLEncoding: the URL alphabet, no padding, no stray characters. */
function decodeSegment(segment: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(segment) || segment.length % 4 === 1) return undefined;
  return Buffer.from(segment, "base64url");
}

function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  const bytes = decodeSegment(segment);
  if (bytes === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(bytes.toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A JSON string as Go's encoding/json writes it (HTML-safe escapes). */
function goJson(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Go's os.ReadFile error text ("open <path>: no such file or directory"). */
function goFileError(path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason =
    code === "ENOENT" ? "no such file or directory" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "is a directory" : err instanceof Error ? err.message : String(err);
  return code === "EISDIR" ? `read ${path}: ${reason}` : `open ${path}: ${reason}`;
}
