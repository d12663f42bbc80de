import { createRemoteJWKSet, jwtVerify, JWTVerifyGetKey } from 'jose';
import { EntityManager } from 'typeorm';
import { isUuid } from '../../common/global-id';
import { Organisation } from '../organisation';
import { findUsableToken, TOKEN_PREFIX, unauthenticated } from './tokens';
import { PUBLIC_VIEWER, Role, Viewer } from './viewer';

export interface JwtSettings {
  jwksUrl: string;
  issuer: string;
  audience: string;
}

const ROLES: readonly Role[] = ['MUNICIPALITY', 'OPERATOR', 'VENDOR', 'COORDINATOR'];

/**
 * Turns an Authorization header into a viewer. No header: the public. A `kb_` token: looked up by
 * its hash. Anything else, when a JWKS is configured: a JWT whose claims `ketenbeeld_org` (the
 * organisation's uuid) and `ketenbeeld_role` say who it is. A header that is present but not
 * usable is UNAUTHENTICATED, never silently the public.
 */
export class Authenticator {
  private readonly jwks: JWTVerifyGetKey | null;

  constructor(private readonly jwt: JwtSettings | null) {
    this.jwks = jwt ? createRemoteJWKSet(new URL(jwt.jwksUrl)) : null;
  }

  async viewerFor(db: EntityManager, authorization: string | undefined, now: Date): Promise<Viewer> {
    if (authorization === undefined || authorization.trim() === '') return PUBLIC_VIEWER;
    const match = authorization.match(/^Bearer\s+(\S+)$/i);
    if (!match) throw unauthenticated('The Authorization header must be "Bearer <token>"');
    const credential = match[1];
    if (credential.startsWith(TOKEN_PREFIX)) {
      const token = await findUsableToken(db, credential, now);
      if (!token) throw unauthenticated('The token is unknown, expired or revoked');
      return { kind: 'organisation', organisationId: token.organisationId, role: token.role, tokenId: token.id, expiresAt: token.expiresAt };
    }
    if (this.jwks && this.jwt) return this.viewerFromJwt(db, credential);
    throw unauthenticated('The token is unknown, expired or revoked');
  }

  private async viewerFromJwt(db: EntityManager, credential: string): Promise<Viewer> {
    let claims: Record<string, unknown>;
    try {
      const verified = await jwtVerify(credential, this.jwks!, { issuer: this.jwt!.issuer, audience: this.jwt!.audience });
      claims = verified.payload as Record<string, unknown>;
    } catch {
      throw unauthenticated('The JWT could not be verified (signature, issuer, audience or expiry)');
    }
    const organisationId = claims.ketenbeeld_org;
    const role = claims.ketenbeeld_role;
    if (typeof organisationId !== 'string' || !isUuid(organisationId) || !ROLES.includes(role as Role)) {
      throw unauthenticated('The JWT lacks the claims ketenbeeld_org (uuid) and ketenbeeld_role');
    }
    const organisation = await db.findOneBy(Organisation, { id: organisationId });
    if (!organisation) throw unauthenticated('The JWT names an organisation ketenbeeld does not know');
    return {
      kind: 'organisation', organisationId, role: role as Role, tokenId: `jwt:${String(claims.sub ?? claims.jti ?? organisationId)}`,
      ...(typeof claims.exp === 'number' ? { expiresAt: new Date(claims.exp * 1000) } : {}),
    };
  }
}
