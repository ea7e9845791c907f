/**
 * Authentication and role-based access: the auth store (users, roles,
 * permissions, the revision), password hashing, simple and JWT tokens.
 * Imports only src/storage/backend, src/pkg and generated types; the
 * server applies requests to it and asks it before serving.
 * @module
 */
export type { AuthInfo } from "./auth-info.js";
export { AuthStore, ROOT_ROLE, ROOT_USER, type AuthStoreOptions, type NewUser } from "./store.js";
export { createPasswordHasher, DEFAULT_BCRYPT_COST, hashPasswordSync, MAX_BCRYPT_COST, MIN_BCRYPT_COST, type PasswordHasher, type PasswordHasherOptions } from "./password.js";
export { DEFAULT_SIMPLE_TOKEN_TTL_SECONDS, SimpleTokens, type SimpleTokensOptions } from "./simple-tokens.js";
export { DEFAULT_JWT_TTL_MS, JwtTokens, type JwtOptions } from "./jwt.js";
export { AuthConfigError, parseAuthTokenOption, type AuthTokenSpec } from "./token-option.js";
export { INVALID_AUTH_OPTIONS } from "./auth-config-error.js";
