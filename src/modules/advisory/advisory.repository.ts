import { EntityManager, In } from 'typeorm';
import { Component } from '../component';
import { Advisory, AdvisoryAffectedProduct, AdvisoryRevision, AdvisoryVulnerability, GatewayRemediation } from './advisory.entity';

/** Who reads which advisories in a list (the rule itself: AccessScope.mayReadLabelled). */
export interface AdvisoryVisibility {
  /** Null: the public. */
  organisationId: string | null;
  isCoordinator: boolean;
  /** AMBER and AMBER+STRICT advisories this organisation was admitted to. */
  admittedIds: string[];
}

/** A statement of another document about the same vulnerability, with the moment its revision took effect. */
export type DatedStatement = AdvisoryAffectedProduct & { releasedAt: Date };

export const advisoryRepository = {
  findByIds(db: EntityManager, ids: readonly string[]): Promise<Advisory[]> {
    return db.findBy(Advisory, { id: In([...ids]) });
  },

  /** Newest publication first. */
  async page(
    db: EntityManager,
    filter: { publisherId?: string; visibleTo: AdvisoryVisibility },
    after: { publishedAt: string; id: string } | null,
    limit: number,
  ): Promise<{ rows: Advisory[]; totalCount: number }> {
    const query = db.createQueryBuilder(Advisory, 'a');
    if (filter.publisherId) query.andWhere('a.publisher_id = :publisherId', { publisherId: filter.publisherId });
    const v = filter.visibleTo;
    if (v.organisationId === null) {
      query.andWhere(`a.tlp = 'CLEAR'`);
    } else {
      query.andWhere(
        `(a.tlp IN ('CLEAR', 'GREEN') OR a.publisher_id = :viewerOrg
          OR (a.tlp = 'RED' AND EXISTS (SELECT 1 FROM tlp_recipient t WHERE t.subject_type = 'Advisory' AND t.subject_id = a.id AND t.organisation_id = :viewerOrg))
          OR (a.tlp <> 'RED' AND :coordinator)
          OR a.id = ANY(:admitted::uuid[]))`,
        { viewerOrg: v.organisationId, coordinator: v.isCoordinator, admitted: v.admittedIds },
      );
    }
    const totalCount = await query.clone().getCount();
    if (after) query.andWhere('(a.published_at, a.id) < (:publishedAt, :id)', after);
    const rows = await query.orderBy('a.published_at', 'DESC').addOrderBy('a.id', 'DESC').limit(limit).getMany();
    return { rows, totalCount };
  },

  /** AMBER and AMBER+STRICT advisories: few, each judged by the access scope before a list. */
  restrictedIds(db: EntityManager): Promise<Advisory[]> {
    return db.createQueryBuilder(Advisory, 'a').where(`a.tlp IN ('AMBER', 'AMBER_STRICT')`).getMany();
  },

  /**
   * Advisories published at `asOf` and not withdrawn then, oldest first. RED advisories are left
   * out: they concern their named recipients, not the national silence count.
   */
  publishedUpTo(db: EntityManager, asOf: Date): Promise<Advisory[]> {
    return db.createQueryBuilder(Advisory, 'a')
      .where('a.published_at <= :asOf', { asOf })
      .andWhere('(a.withdrawn_at IS NULL OR a.withdrawn_at > :asOf)', { asOf })
      .andWhere(`a.tlp <> 'RED'`)
      .orderBy('a.published_at', 'ASC').getMany();
  },

  /** The statements of each advisory's current revision. */
  async currentStatements(db: EntityManager, advisoryIds: readonly string[]): Promise<AdvisoryAffectedProduct[]> {
    return db.createQueryBuilder(AdvisoryAffectedProduct, 'p')
      .innerJoin(Advisory, 'a', 'a.id = p.advisory_id AND a.revision = p.revision')
      .where('p.advisory_id = ANY(:ids::uuid[])', { ids: [...advisoryIds] })
      .orderBy('p.advisory_id').addOrderBy('p.ordinal').addOrderBy('p.product_vendor').addOrderBy('p.product').addOrderBy('p.version_from')
      .getMany();
  },

  statementsOfRevisions(db: EntityManager, revisions: { advisoryId: string; revision: number }[]): Promise<AdvisoryAffectedProduct[]> {
    if (revisions.length === 0) return Promise.resolve([]);
    return db.createQueryBuilder(AdvisoryAffectedProduct, 'p')
      .where('(p.advisory_id, p.revision) IN (SELECT * FROM unnest(:ids::uuid[], :revisions::int[]))', {
        ids: revisions.map((r) => r.advisoryId), revisions: revisions.map((r) => r.revision),
      })
      .orderBy('p.advisory_id').addOrderBy('p.ordinal')
      .getMany();
  },

  /**
   * What the documents say at `asOf` about these vulnerabilities and vendors: the revision of each
   * then in force, published and not withdrawn then. Only CLEAR and GREEN documents speak across
   * documents, so an exposure answer never depends on a document its reader may not read.
   */
  async statementsAbout(db: EntityManager, cves: string[], vendorKeys: string[], asOf: Date): Promise<DatedStatement[]> {
    if (cves.length === 0 || vendorKeys.length === 0) return [];
    const rows: { id: string; released_at: Date }[] = await db.query(
      `WITH in_force AS (
         SELECT a.id, COALESCE(r.number, 1) AS revision, COALESCE(r.released_at, a.published_at) AS released_at
           FROM advisory a
           LEFT JOIN LATERAL (
             SELECT number, released_at FROM advisory_revision
              WHERE advisory_id = a.id AND released_at <= $3 ORDER BY number DESC LIMIT 1) r ON true
          WHERE a.published_at <= $3 AND (a.withdrawn_at IS NULL OR a.withdrawn_at > $3) AND a.tlp IN ('CLEAR', 'GREEN')
            AND EXISTS (SELECT 1 FROM advisory_affected_product q WHERE q.advisory_id = a.id AND q.cve = ANY($1::text[]))
       )
       SELECT p.id, f.released_at
         FROM advisory_affected_product p JOIN in_force f ON f.id = p.advisory_id AND f.revision = p.revision
        WHERE p.cve = ANY($1::text[]) AND p.vendor_key = ANY($2::text[])`,
      [cves, vendorKeys, asOf],
    );
    if (rows.length === 0) return [];
    const released = new Map(rows.map((row) => [row.id, row.released_at]));
    const statements = await db.findBy(AdvisoryAffectedProduct, { id: In(rows.map((row) => row.id)) });
    return statements.map((s) => Object.assign(s, { releasedAt: released.get(s.id)! }));
  },

  /** Gateways and applications of these vendors (compared as vendor_key is: no case, spacing, underscores or hyphens). */
  componentsOfVendors(db: EntityManager, vendorKeys: string[]): Promise<Component[]> {
    if (vendorKeys.length === 0) return Promise.resolve([]);
    return db.createQueryBuilder(Component, 'c')
      .where(`c.kind IN ('GATEWAY', 'APPLICATION') AND c.product IS NOT NULL`)
      .andWhere(`lower(regexp_replace(btrim(c.product_vendor), '[[:space:]_-]+', ' ', 'g')) = ANY(:keys::text[])`, { keys: vendorKeys })
      .orderBy('c.name', 'ASC').addOrderBy('c.id', 'ASC')
      .getMany();
  },

  revisions(db: EntityManager, advisoryIds: readonly string[]): Promise<AdvisoryRevision[]> {
    return db.find(AdvisoryRevision, { where: { advisoryId: In([...advisoryIds]) }, order: { number: 'ASC' } });
  },

  async currentVulnerabilities(db: EntityManager, advisoryIds: readonly string[]): Promise<AdvisoryVulnerability[]> {
    return db.createQueryBuilder(AdvisoryVulnerability, 'v')
      .innerJoin(Advisory, 'a', 'a.id = v.advisory_id AND a.revision = v.revision')
      .where('v.advisory_id = ANY(:ids::uuid[])', { ids: [...advisoryIds] })
      .orderBy('v.ordinal', 'ASC')
      .getMany();
  },

  /** Organisations that published a CLEAR advisory: their names are public with it. */
  async clearPublishers(db: EntityManager, organisationIds: readonly string[]): Promise<string[]> {
    const rows: { publisher_id: string }[] = await db.query(
      `SELECT DISTINCT publisher_id FROM advisory WHERE tlp = 'CLEAR' AND publisher_id = ANY($1::uuid[])`,
      [organisationIds],
    );
    return rows.map((row) => row.publisher_id);
  },

  /** The newest record per advisory and component at `asOf`. */
  remediationsAt(db: EntityManager, advisoryIds: readonly string[], asOf: Date): Promise<GatewayRemediation[]> {
    return db.createQueryBuilder(GatewayRemediation, 'r')
      .distinctOn(['r.advisory_id', 'r.gateway_id'])
      .where('r.advisory_id = ANY(:ids::uuid[]) AND r.observed_at <= :asOf', { ids: [...advisoryIds], asOf })
      .orderBy('r.advisory_id').addOrderBy('r.gateway_id').addOrderBy('r.observed_at', 'DESC').addOrderBy('r.seq', 'DESC')
      .getMany();
  },

  remediationHistory(db: EntityManager, advisoryId: string, gatewayId: string | null, asOf: Date): Promise<GatewayRemediation[]> {
    const query = db.createQueryBuilder(GatewayRemediation, 'r')
      .where('r.advisory_id = :advisoryId AND r.observed_at <= :asOf', { advisoryId, asOf });
    if (gatewayId) query.andWhere('r.gateway_id = :gatewayId', { gatewayId });
    return query.orderBy('r.observed_at', 'DESC').addOrderBy('r.seq', 'DESC').limit(1000).getMany();
  },

  remediationsByIds(db: EntityManager, ids: readonly string[]): Promise<GatewayRemediation[]> {
    return db.findBy(GatewayRemediation, { id: In([...ids]) });
  },

  /** Components with a remediation record for the advisory observed in [from, asOf]. */
  async remediatedBetween(db: EntityManager, advisoryId: string, from: Date, asOf: Date): Promise<Set<string>> {
    const rows: { gateway_id: string }[] = await db.query(
      `SELECT DISTINCT gateway_id FROM gateway_remediation WHERE advisory_id = $1 AND observed_at >= $2 AND observed_at <= $3`,
      [advisoryId, from, asOf],
    );
    return new Set(rows.map((row) => row.gateway_id));
  },

  /** Each organisation's newest status report observed at or before `asOf` (read-only on the status module's table). */
  async lastReportedAt(db: EntityManager, organisationIds: string[], asOf: Date): Promise<Map<string, Date>> {
    if (organisationIds.length === 0) return new Map();
    const rows: { reporter_id: string; last: Date }[] = await db.query(
      `SELECT reporter_id, max(observed_at) AS last FROM status_report WHERE reporter_id = ANY($1::uuid[]) AND observed_at <= $2 GROUP BY reporter_id`,
      [organisationIds, asOf],
    );
    return new Map(rows.map((row) => [row.reporter_id, row.last]));
  },
};
