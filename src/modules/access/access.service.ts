import type { RequestContext } from '../../context';
import { idOf } from '../common/global-id';
import { AccessToken } from './access-token.entity';
import { IssuedToken, issueToken, revokeToken } from './tokens';
import type { Role } from './viewer';

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
    issuedByTokenId: ctx.viewer.kind === 'organisation' ? ctx.viewer.tokenId : null,
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
