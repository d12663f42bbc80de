import { EntityManager } from 'typeorm';
import { RelationRequest, RelationRequestState } from './relation-request.entity';

/** SQL for relation requests; the rules are in consent.mutations.ts and AccessScope. */
export const consentRepository = {
  findByIds(db: EntityManager, ids: readonly string[]): Promise<RelationRequest[]> {
    return db.getRepository(RelationRequest).createQueryBuilder('r').where('r.id = ANY(:ids)', { ids: [...ids] }).getMany();
  },

  /** The pending request for the same relation, if one is open: asking twice returns it. */
  async pendingLike(db: EntityManager, request: Pick<RelationRequest, 'kind' | 'componentId' | 'dependsOnId' | 'municipalityId' | 'sharedServiceOrganisationId'>): Promise<RelationRequest | null> {
    return db.getRepository(RelationRequest).createQueryBuilder('r')
      .where(`r.state = 'PENDING' AND r.kind = :kind`, { kind: request.kind })
      .andWhere('coalesce(r.component_id, r.shared_service_organisation_id) = :first', { first: request.componentId ?? request.sharedServiceOrganisationId })
      .andWhere('coalesce(r.depends_on_id, r.municipality_id) = :second', { second: request.dependsOnId ?? request.municipalityId })
      .getOne();
  },

  /** Locks the request for a decision; null when there is none. */
  async lock(db: EntityManager, id: string): Promise<RelationRequest | null> {
    const [row] = await db.query(`SELECT id FROM relation_request WHERE id = $1 FOR UPDATE`, [id]);
    return row ? db.findOneByOrFail(RelationRequest, { id }) : null;
  },

  async decide(db: EntityManager, id: string, decision: { state: RelationRequestState; at: Date; byId: string; note: string | null; dependencyId?: string; membershipId?: string }): Promise<void> {
    await db.query(
      `UPDATE relation_request SET state = $2, decided_at = $3, decided_by_id = $4, decision_note = $5, dependency_id = $6, membership_id = $7 WHERE id = $1`,
      [id, decision.state, decision.at, decision.byId, decision.note, decision.dependencyId ?? null, decision.membershipId ?? null],
    );
  },

  /** A page of the requests an organisation made or awaits (all of them for null), newest first. */
  async page(
    db: EntityManager,
    filter: { organisationId: string | null; state: RelationRequestState | null },
    after: { requestedAt: string; id: string } | null,
    limit: number,
  ): Promise<{ rows: RelationRequest[]; totalCount: number }> {
    const query = db.getRepository(RelationRequest).createQueryBuilder('r');
    if (filter.organisationId) query.andWhere('(r.requested_by_id = :org OR r.awaiting_id = :org)', { org: filter.organisationId });
    if (filter.state) query.andWhere('r.state = :state', { state: filter.state });
    const totalCount = await query.clone().getCount();
    if (after) query.andWhere('(r.requested_at, r.id) < (:at, :id)', { at: after.requestedAt, id: after.id });
    const rows = await query.orderBy('r.requested_at', 'DESC').addOrderBy('r.id', 'DESC').limit(limit).getMany();
    return { rows, totalCount };
  },
};
