/**
 * The Auth service's request paths (etcdserverpb.Auth): management requests
 * are proposed with their caller and checked when applied; Authenticate
 * checks the password here, off the event loop, then proposes the issue of
 * a token and retries if the auth store changed in between (etcd's
 * optimistic check); passwords are hashed here before they are proposed, so
 * the log never holds one in clear and applying never hashes.
 * @module
 */
import { randomBytes } from "node:crypto";
import type { AuthInfo, AuthStore, PasswordHasher } from "../../auth/index.js";
import type {
  AuthenticateRequest,
  AuthenticateResponse,
  AuthStatusResponse,
  AuthUserAddRequest,
  AuthUserChangePasswordRequest,
  ResponseHeader,
} from "../../gen/etcdserverpb/rpc.js";
import type { Clock } from "../../pkg/clock.js";
import { EtcdError } from "../../pkg/errors.js";
import type { Logger } from "../../pkg/logger.js";
import type { AuthApi, Cancellation, Credentials, HeaderSource } from "../api.js";
import type { ApplyResult } from "../apply/apply-result.js";
import type { RaftRequestBody } from "../proposals/codec.js";
import { SimpleTokens } from "../../auth/index.js";
import type { AuthGate } from "./gate.js";
import type { AuthTokens } from "./tokens.js";

export interface AuthRequestDeps {
  gate: AuthGate;
  store: AuthStore;
  tokens: AuthTokens;
  hasher: PasswordHasher;
  proposer: { propose(body: RaftRequestBody, signal?: Cancellation, auth?: AuthInfo): Promise<ApplyResult> };
  /** The linearizable barrier: Authenticate and AuthStatus read the auth store after it. */
  reads: { barrier(signal?: Cancellation): Promise<void> };
  header: HeaderSource;
  /** JWT expiry is wall-clock time. */
  clock: Pick<Clock, "wallMs">;
  logger: Logger;
}

/**
 * etcd's ErrNoPasswordUser, a login as a user added with --no-password. etcd
 * maps it to no gRPC status, so clients see Unknown with this text; a plain
 * Error goes out the same way from our edge.
 */
export const NO_PASSWORD_USER = "auth: authentication failed, password was given for no password user";

/** Builds the Auth request paths over the gate, the proposer and the password hasher. */
export function createAuthRequests(deps: AuthRequestDeps): AuthApi {
  const { gate, store, tokens, hasher, proposer, reads, header, clock, logger } = deps;

  /** Proposes `body` as the caller `creds` name and answers with the applied response and a fresh header. */
  const proposeAs = async <T extends { header: ResponseHeader | undefined }>(body: RaftRequestBody, signal: Cancellation | undefined, creds: Credentials | undefined): Promise<T> => {
    const info = await gate.identify(creds, signal);
    return answer<T>(await proposer.propose(body, signal, info));
  };

  const answer = <T extends { header: ResponseHeader | undefined }>(result: ApplyResult): T => {
    if (!result.ok) throw result.error;
    const resp = result.response as T;
    resp.header = header.header();
    return resp;
  };

  /**
   * A bcrypt hash of a random password, at the configured cost, made once:
   * a login as an unknown user is compared against it, so it costs what a
   * wrong password costs and its timing does not tell which users exist.
   */
  let dummyHash: Promise<string> | undefined;
  const spendOneCompare = async (password: string): Promise<void> => {
    dummyHash ??= hasher.hash(randomBytes(18).toString("base64"));
    await hasher.verify(password, await dummyHash);
  };

  /** etcd's CheckPassword: the auth revision the password was checked at, or AuthNotEnabled / AuthFailed / NO_PASSWORD_USER. */
  const checkPassword = async (name: string, password: string): Promise<bigint> => {
    if (!store.enabled) throw new EtcdError("AuthNotEnabled");
    const revision = store.revision;
    const user = store.user(name);
    if (user === undefined) {
      await spendOneCompare(password);
      throw new EtcdError("AuthFailed");
    }
    if (user.options?.noPassword === true) throw new Error(NO_PASSWORD_USER);
    if (!(await hasher.verify(password, user.password.toString("latin1")))) throw new EtcdError("AuthFailed");
    return revision;
  };

  /** The hash a request proposes, base64 as etcd 3.5 proposes it: of `password`, or the client's own `hashedPassword` when it sent no password. */
  const hashToPropose = async (password: string, hashedPassword: string): Promise<string> => {
    if (password === "" && hashedPassword !== "") return hashedPassword;
    return Buffer.from(await hasher.hash(password), "latin1").toString("base64");
  };

  return {
    authEnable: (req, signal, creds) => proposeAs({ authEnable: req }, signal, creds),
    authDisable: (req, signal, creds) => proposeAs({ authDisable: req }, signal, creds),

    async authStatus(_req, signal, creds) {
      await gate.identify(creds, signal);
      await reads.barrier(signal);
      return { header: header.header(), enabled: store.enabled, authRevision: store.revision } satisfies AuthStatusResponse;
    },

    async authenticate(req: AuthenticateRequest, signal?: Cancellation): Promise<AuthenticateResponse> {
      await reads.barrier(signal);
      for (;;) {
        let checked: bigint;
        try {
          checked = await checkPassword(req.name, req.password);
        } catch (err) {
          if (!(err instanceof EtcdError && err.kind === "AuthNotEnabled")) logger.warn({ user: req.name, err: String(err) }, "invalid authentication was requested");
          throw err;
        }
        const result = await proposer.propose({ authenticate: { name: req.name, password: "", simpleToken: SimpleTokens.newPrefix() } }, signal);
        const resp = answer<AuthenticateResponse>(result);
        // Users, roles or passwords changed between the check and the apply: check again.
        if (checked !== store.revision) {
          logger.info({}, "revision when password checked became stale; retrying");
          continue;
        }
        if (tokens.kind === "jwt") resp.token = tokens.jwt.sign(req.name, checked, clock.wallMs());
        return resp;
      }
    },

    async userAdd(req: AuthUserAddRequest, signal, creds) {
      if (req.name === "") throw new EtcdError("UserEmpty");
      const info = await gate.identify(creds, signal);
      // Refused now rather than after a bcrypt hash (applying checks again).
      gate.checkAdmin(info);
      const noPassword = req.options?.noPassword === true;
      const hashedPassword = noPassword ? "" : await hashToPropose(req.password, req.hashedPassword);
      return answer(await proposer.propose({ authUserAdd: { ...req, password: "", hashedPassword } }, signal, info));
    },

    async userChangePassword(req: AuthUserChangePasswordRequest, signal, creds) {
      const info = await gate.identify(creds, signal);
      gate.checkAdmin(info);
      const hashedPassword = await hashToPropose(req.password, req.hashedPassword);
      return answer(await proposer.propose({ authUserChangePassword: { ...req, password: "", hashedPassword } }, signal, info));
    },

    userGet: (req, signal, creds) => proposeAs({ authUserGet: req }, signal, creds),
    userList: (req, signal, creds) => proposeAs({ authUserList: req }, signal, creds),
    userDelete: (req, signal, creds) => proposeAs({ authUserDelete: req }, signal, creds),
    userGrantRole: (req, signal, creds) => proposeAs({ authUserGrantRole: req }, signal, creds),
    userRevokeRole: (req, signal, creds) => proposeAs({ authUserRevokeRole: req }, signal, creds),
    roleAdd: (req, signal, creds) => proposeAs({ authRoleAdd: req }, signal, creds),
    roleGet: (req, signal, creds) => proposeAs({ authRoleGet: req }, signal, creds),
    roleList: (req, signal, creds) => proposeAs({ authRoleList: req }, signal, creds),
    roleDelete: (req, signal, creds) => proposeAs({ authRoleDelete: req }, signal, creds),
    roleGrantPermission: (req, signal, creds) => proposeAs({ authRoleGrantPermission: req }, signal, creds),
    roleRevokePermission: (req, signal, creds) => proposeAs({ authRoleRevokePermission: req }, signal, creds),

    async checkAdmin(creds, signal) {
      gate.checkAdmin(await gate.identify(creds, signal));
    },
  };
}
