import type { RequestContext } from '../../context';
import { idOf } from '../common/global-id';
import { AccessToken } from './access-token.entity';
import { IssuedToken, issueToken, revokeToken } from './tokens';
import type { Role } from './viewer';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function issueAccessToken(
  ctx: RequestContext,
  input: { organisationId: string; role: Role; expiresInDays?: number | null; label?: string | null },
): Promise<IssuedToken> {
  ctx.scope.requireRole('Issuing tokens', 'COORDINATOR');
  const organisationId = idOf('Organisation', input.organisationId, 'organisationId');
  return ctx.db.transaction((db) => issueToken(db, {
    organisationId,
    role: input.role,
    expiresInDays: input.expiresInDays ?? 90,
    label: input.label ?? null,
    // Only ketenbeeld's own tokens have a row to point at; a JWT caller is recorded by organisation only.
    issuedByTokenId: ctx.viewer.kind === 'organisation' && UUID.test(ctx.viewer.tokenId) ? ctx.viewer.tokenId : null,
  }));
}

export async function revokeAccessToken(ctx: RequestContext, input: { tokenId: string }): Promise<AccessToken> {
  ctx.scope.requireOrganisation('Revoking tokens');
  const tokenId = idOf('AccessToken', input.tokenId, 'tokenId');
  return ctx.db.transaction(async (db) => {
    const token = await db.findOneBy(AccessToken, { id: tokenId });
    if (token && !ctx.scope.isCoordinator && token.organisationId !== ctx.scope.organisationId) {
      throw ctx.scope.denied('Revoking another organisation’s token');
    }
    return revokeToken(db, tokenId);
  });
}
