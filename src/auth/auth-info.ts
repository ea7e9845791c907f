/**
 * Who a request acts as, once its credentials are resolved (etcd's
 * AuthInfo): the user name and the auth revision the credentials speak
 * for. A simple token or a certificate's common name stands for the
 * current revision at resolution; a JWT carries the revision it was issued
 * at, so any later change of users, roles or permissions makes it "old".
 * @module
 */
export interface AuthInfo {
  readonly username: string;
  readonly revision: bigint;
}
