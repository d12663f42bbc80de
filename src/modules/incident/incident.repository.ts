import { EntityManager, In } from 'typeorm';
import { Incident, IncidentState, IncidentUpdate } from './incident.entity';

export interface IncidentListFilter {
  state?: IncidentState;
  componentId?: string;
  municipalityId?: string;
  /** Only incidents this organisation declared or that affect a component in its picture. */
  visibleTo?: { organisationId: string; componentIds: string[] };
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
    if (filter.visibleTo) {
      conditions.push(`(i.declared_by_id = ${parameter(filter.visibleTo.organisationId)} OR EXISTS (
        SELECT 1 FROM incident_component ic WHERE ic.incident_id = i.id AND ic.component_id = ANY(${parameter(filter.visibleTo.componentIds)}::uuid[])))`);
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

  updatesByIncidents(db: EntityManager, incidentIds: readonly string[]): Promise<IncidentUpdate[]> {
    return db.find(IncidentUpdate, { where: { incidentId: In([...incidentIds]) }, order: { postedAt: 'ASC', seq: 'ASC' } });
  },

  updatesByIds(db: EntityManager, ids: readonly string[]): Promise<IncidentUpdate[]> {
    return db.findBy(IncidentUpdate, { id: In([...ids]) });
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
