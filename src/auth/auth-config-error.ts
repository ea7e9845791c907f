/**
 * A bad --auth-token value or JWT key: the member does not start.
 * `message` is the text etcd 3.4 stops with (its fatal log line); `detail`,
 * when set, is the reason etcd logs on the line before ("problem loading
 * JWT options: …", "unknown token type: …").
 * @module
 */
export class AuthConfigError extends Error {
  override readonly name = "AuthConfigError";
  readonly detail: string | undefined;

  constructor(message: string, detail?: string) {
    super(message);
    this.detail = detail;
  }
}

/** etcd's ErrInvalidAuthOpts. */
export const INVALID_AUTH_OPTIONS = "auth: invalid auth options";
