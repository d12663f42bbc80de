import { EntityManager, In } from 'typeorm';
import { Incident, IncidentState, IncidentUpdate } from './incident.entity';

export interface IncidentListFilter {
  state?: IncidentState;
  componentId?: string;
  municipalityId?: string;
  /**
   * Who reads (TLP; the rule itself is AccessScope.mayReadLabelled, this is its SQL for lists).
   * organisationId null: the public.
   */
  visibleTo: { organisationId: string | null; isCoordinator: boolean; componentIds: string[] };
}

export const incidentRepository = {
  findByIds(db: EntityManager, ids: readonly string[]): Promise<Incident[]> {
    return db.findBy(Incident, { id: In([...ids]) });
  },

  /**
   * One page of incident ids, newest start first. The municipality filter follows the dependency
   * graph: an incident on Centric's gateway concerns every municipality whose counter needs it.
   */
  async pageIds(
    db: EntityManager,
    filter: IncidentListFilter,
    after: { startedAt: string; id: string } | null,
    limit: number,
  ): Promise<{ ids: { id: string; startedAt: Date }[]; totalCount: number }> {
    const conditions: string[] = [];
    const parameters: unknown[] = [];
    const parameter = (value: unknown) => {
      parameters.push(value);
      return `$${parameters.length}`;
    };
    if (filter.state) conditions.push(`i.state = ${parameter(filter.state)}`);
    if (filter.componentId) {
      conditions.push(`EXISTS (SELECT 1 FROM incident_component ic WHERE ic.incident_id = i.id AND ic.component_id = ${parameter(filter.componentId)})`);
    }
    if (filter.municipalityId) {
      conditions.push(`EXISTS (
        WITH RECURSIVE reach(id) AS (
          SELECT sd.service_id FROM service_delivery sd WHERE sd.municipality_id = ${parameter(filter.municipalityId)}
          UNION
          SELECT d.depends_on_id FROM dependency d JOIN reach r ON d.component_id = r.id WHERE d.removed_at IS NULL
        )
        SELECT 1 FROM incident_component ic JOIN reach r ON r.id = ic.component_id WHERE ic.incident_id = i.id)`);
    }
    const viewer = filter.visibleTo;
    if (viewer.organisationId === null) {
      conditions.push(`i.tlp = 'CLEAR'`);
    } else {
      const org = parameter(viewer.organisationId);
      conditions.push(`(i.tlp IN ('CLEAR', 'GREEN') OR i.declared_by_id = ${org}
        OR (i.tlp = 'RED' AND EXISTS (SELECT 1 FROM tlp_recipient t WHERE t.subject_type = 'Incident' AND t.subject_id = i.id AND t.organisation_id = ${org}))
        OR (i.tlp <> 'RED' AND ${parameter(viewer.isCoordinator)}::boolean)
        OR (i.tlp IN ('AMBER', 'AMBER_STRICT') AND EXISTS (
          SELECT 1 FROM incident_component ic JOIN component c ON c.id = ic.component_id WHERE ic.incident_id = i.id AND c.operator_id = ${org}))
        OR (i.tlp = 'AMBER' AND EXISTS (
          SELECT 1 FROM incident_component ic WHERE ic.incident_id = i.id AND ic.component_id = ANY(${parameter(viewer.componentIds)}::uuid[]))))`);
    }
    const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
    const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM incident i ${where}`, parameters);
    if (after) {
      const keyset = `(i.started_at, i.id) < (${parameter(after.startedAt)}, ${parameter(after.id)})`;
      conditions.push(keyset);
    }
    const pageWhere = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
    const rows: { id: string; started_at: Date }[] = await db.query(
      `SELECT i.id, i.started_at FROM incident i ${pageWhere} ORDER BY i.started_at DESC, i.id DESC LIMIT ${parameter(limit)}`,
      parameters,
    );
    return { ids: rows.map((row) => ({ id: row.id, startedAt: row.started_at })), totalCount: count };
  },

  /** Organisations that wrote a CLEAR update on a CLEAR incident, or declared a CLEAR incident: their names are public with it. */
  async clearAuthors(db: EntityManager, organisationIds: readonly string[]): Promise<string[]> {
    const rows: { id: string }[] = await db.query(
      `SELECT declared_by_id AS id FROM incident WHERE tlp = 'CLEAR' AND declared_by_id = ANY($1::uuid[])
       UNION
       SELECT u.author_id FROM incident_update u JOIN incident i ON i.id = u.incident_id
        WHERE u.tlp = 'CLEAR' AND i.tlp = 'CLEAR' AND u.author_id = ANY($1::uuid[])`,
      [organisationIds],
    );
    return rows.map((row) => row.id);
  },

  updatesByIncidents(db: EntityManager, incidentIds: readonly string[]): Promise<IncidentUpdate[]> {
    return db.find(IncidentUpdate, { where: { incidentId: In([...incidentIds]) }, order: { postedAt: 'ASC', seq: 'ASC' } });
  },

  updatesByIds(db: EntityManager, ids: readonly string[]): Promise<IncidentUpdate[]> {
    return db.findBy(IncidentUpdate, { id: In([...ids]) });
  },

  /** The components of every incident that had begun by `asOf`, with when the incident was resolved. */
  async componentsOfIncidentsBegunBy(db: EntityManager, asOf: Date): Promise<{ incidentId: string; componentId: string; resolvedAt: Date | null }[]> {
    const rows: { incident_id: string; component_id: string; resolved_at: Date | null }[] = await db.query(
      `SELECT ic.incident_id, ic.component_id, i.resolved_at
         FROM incident i JOIN incident_component ic ON ic.incident_id = i.id
        WHERE i.started_at <= $1`,
      [asOf],
    );
    return rows.map((row) => ({ incidentId: row.incident_id, componentId: row.component_id, resolvedAt: row.resolved_at }));
  },

  async links(
    db: EntityManager,
    table: 'incident_component' | 'incident_advisory',
    by: 'incident_id' | 'component_id' | 'advisory_id',
    ids: readonly string[],
  ): Promise<{ incidentId: string; otherId: string }[]> {
    const other = table === 'incident_component' ? 'component_id' : 'advisory_id';
    const rows: { incident_id: string; other_id: string }[] = await db.query(
      `SELECT incident_id, ${other} AS other_id FROM ${table} WHERE ${by} = ANY($1::uuid[]) ORDER BY incident_id, ${other}`,
      [ids],
    );
    return rows.map((row) => ({ incidentId: row.incident_id, otherId: row.other_id }));
  },
};
