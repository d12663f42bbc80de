import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AppError, badInput, notFound } from '../../errors';
import { isUuid } from '../../common/global-id';
import { Organisation } from '../organisation';
import type { OrganisationKind } from '../organisation';
import { AccessToken } from './access-token.entity';
import type { Role } from './viewer';

export const TOKEN_PREFIX = 'kb_';
const MAX_LIFETIME_DAYS = 366;

/** Which roles fit which kind of organisation. A municipality may also operate components (Tilburg does). */
const ROLES_BY_KIND: Record<OrganisationKind, readonly Role[]> = {
  MUNICIPALITY: ['MUNICIPALITY', 'OPERATOR'],
  SHARED_SERVICE_ORGANISATION: ['OPERATOR'],
  VENDOR: ['VENDOR', 'OPERATOR'],
  COORDINATOR: ['COORDINATOR'],
};

export function hashToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export interface IssuedToken {
  token: AccessToken;
  /** Shown once; only its hash is stored. */
  secret: string;
}

export async function issueToken(
  db: EntityManager,
  input: { organisationId: string; role: Role; expiresInDays: number; label: string | null; issuedByTokenId: string | null },
): Promise<IssuedToken> {
  const organisation = await db.findOneBy(Organisation, { id: input.organisationId });
  if (!organisation) throw notFound(`No organisation with id ${input.organisationId}`, 'organisationId');
  if (!ROLES_BY_KIND[organisation.kind].includes(input.role)) {
    throw badInput(`A ${organisation.kind} cannot hold the role ${input.role}; allowed: ${ROLES_BY_KIND[organisation.kind].join(', ')}`, 'role');
  }
  if (!Number.isInteger(input.expiresInDays) || input.expiresInDays < 1 || input.expiresInDays > MAX_LIFETIME_DAYS) {
    throw badInput(`expiresInDays must be a whole number from 1 to ${MAX_LIFETIME_DAYS}`, 'expiresInDays');
  }
  if (input.label !== null && input.label.length > 200) throw badInput('label is limited to 200 characters', 'label');
  // 32 random bytes: guessing is hopeless, so a fast hash is enough to keep stored tokens useless to a thief.
  const secret = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const row = {
    id: randomUUID(),
    organisationId: organisation.id,
    role: input.role,
    tokenHash: hashToken(secret),
    label: input.label,
    expiresAt: new Date(Date.now() + input.expiresInDays * 86_400_000),
    revokedAt: null,
    issuedByTokenId: input.issuedByTokenId,
  };
  await db.insert(AccessToken, row);
  return { token: await db.findOneByOrFail(AccessToken, { id: row.id }), secret };
}

/** The token a secret names, if it is known, unexpired and not revoked. */
export async function findUsableToken(db: EntityManager, secret: string, now: Date): Promise<AccessToken | null> {
  const token = await db.findOneBy(AccessToken, { tokenHash: hashToken(secret) });
  if (!token || token.revokedAt !== null || token.expiresAt.getTime() <= now.getTime()) return null;
  return token;
}

/**
 * Which of some viewers' token ids name stored tokens that are no longer usable at `now`: revoked,
 * expired or deleted. A JWT's id (not a uuid) is not stored here and never listed. One statement,
 * however many connections hold them.
 */
export async function unusableTokenIds(db: EntityManager, tokenIds: readonly string[], now: Date): Promise<Set<string>> {
  const stored = tokenIds.filter(isUuid);
  if (stored.length === 0) return new Set();
  const usable: { id: string }[] = await db.query(
    `SELECT id FROM access_token WHERE id = ANY($1::uuid[]) AND revoked_at IS NULL AND expires_at > $2`,
    [stored, now],
  );
  const stillUsable = new Set(usable.map((row) => row.id));
  return new Set(stored.filter((id) => !stillUsable.has(id)));
}

export async function revokeToken(db: EntityManager, tokenId: string): Promise<AccessToken> {
  const token = await db.findOneBy(AccessToken, { id: tokenId });
  if (!token) throw notFound(`No access token with id ${tokenId}`, 'tokenId');
  if (token.revokedAt === null) {
    await db.update(AccessToken, { id: tokenId }, { revokedAt: new Date() });
  }
  return db.findOneByOrFail(AccessToken, { id: tokenId });
}

/**
 * The first token, for a database that has none: a coordinator token, printed once at start, so
 * every mode (embedded included) has a way in. Creates a coordinator organisation when there is none.
 */
export async function issueFirstTokenIfNone(dataSource: DataSource): Promise<IssuedToken | null> {
  return dataSource.transaction(async (db) => {
    await db.query('LOCK TABLE access_token IN EXCLUSIVE MODE');
    const [{ count }] = await db.query('SELECT count(*)::int AS count FROM access_token');
    if (count > 0) return null;
    // The first coordinator registered: in the demo, NCSC, the national coordinator of the 2020 story.
    let coordinator = await db.findOne(Organisation, { where: { kind: 'COORDINATOR' }, order: { createdAt: 'ASC', id: 'ASC' } });
    if (!coordinator) {
      const id = randomUUID();
      await db.insert(Organisation, { id, kind: 'COORDINATOR', name: 'ketenbeeld administrators', cbsCode: null, population: null, website: null });
      coordinator = await db.findOneByOrFail(Organisation, { id });
    }
    return issueToken(db, { organisationId: coordinator.id, role: 'COORDINATOR', expiresInDays: 30, label: 'first token, printed at start', issuedByTokenId: null });
  });
}

export function unauthenticated(message: string): AppError {
  return new AppError('UNAUTHENTICATED', message);
}
