import type { RequestContext } from '../../context';
import { idOf, isUuid } from '../../common/global-id';
import { AccessToken } from './access-token.entity';
import { recordAudit } from '../audit';
import { IssuedToken, issueToken, revokeToken } from './tokens';
import type { Role } from './viewer';

export async function issueAccessToken(
  ctx: RequestContext,
  input: { organisationId: string; role: Role; expiresInDays?: number | null; label?: string | null },
): Promise<IssuedToken> {
  ctx.scope.requireRole('Issuing tokens', 'COORDINATOR');
  const organisationId = idOf('Organisation', input.organisationId, 'organisationId');
  return ctx.db.transaction(async (db) => {
    const issued = await issueToken(db, {
      organisationId,
      role: input.role,
      expiresInDays: input.expiresInDays ?? 90,
      label: input.label ?? null,
      // Only ketenbeeld's own tokens have a row to point at; a JWT caller is recorded by organisation only.
      issuedByTokenId: ctx.viewer.kind === 'organisation' && isUuid(ctx.viewer.tokenId) ? ctx.viewer.tokenId : null,
    });
    await recordAudit(db, ctx, { operation: 'issueAccessToken', entityType: 'AccessToken', entityId: issued.token.id });
    return issued;
  });
}

export async function revokeAccessToken(ctx: RequestContext, input: { tokenId: string }): Promise<AccessToken> {
  ctx.scope.requireOrganisation('Revoking tokens');
  const tokenId = idOf('AccessToken', input.tokenId, 'tokenId');
  return ctx.db.transaction(async (db) => {
    const token = await db.findOneBy(AccessToken, { id: tokenId });
    if (token && !ctx.scope.isCoordinator && token.organisationId !== ctx.scope.organisationId) {
      throw ctx.scope.denied('Revoking another organisation’s token');
    }
    const revoked = await revokeToken(db, tokenId);
    await recordAudit(db, ctx, { operation: 'revokeAccessToken', entityType: 'AccessToken', entityId: tokenId });
    return revoked;
  });
}
