export { AccessScope } from './access-scope';
export { AccessToken } from './access-token.entity';
export { Authenticator } from './authenticate';
export type { JwtSettings } from './authenticate';
export { guardLoaders } from './guarded-loaders';
export type { GuardedLoaders } from './guarded-loaders';
export { issueFirstTokenIfNone, issueToken, revokeToken, unusableTokenIds } from './tokens';
export { PUBLIC_VIEWER } from './viewer';
export type { Role, Viewer } from './viewer';
