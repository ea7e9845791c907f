/**
 * The caller's credentials as a request carries them, before they are
 * resolved to a user.
 * @module
 */

/**
 * What a request says about who sends it, as it arrived: the server resolves
 * it to a user (etcd's AuthInfoFromCtx) when it serves the request, so a
 * read is checked against the permissions it is linearized after. Absent
 * (or both fields undefined) = no credentials: with auth enabled such a
 * request is refused with "user name is empty" wherever a check applies.
 */
export interface Credentials {
  /** The `token` request metadata (or, from the gateway, `authorization`), as sent. */
  readonly token: string | undefined;
  /**
   * The verified TLS client certificate's common name, given only with
   * --client-cert-auth and never for a call the gateway made; used when no
   * token came.
   */
  readonly commonName: string | undefined;
}

/** A request without credentials. */
export const NO_CREDENTIALS: Credentials = Object.freeze({ token: undefined, commonName: undefined });
