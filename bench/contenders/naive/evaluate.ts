import { DataSource, In, LessThanOrEqual } from 'typeorm';
import { StatusReport } from '../../../src/modules/status/status-report.entity';
import { ComponentFact, DependencyGraph, EdgeFact, Effective, StatusTimeline } from '../../../src/modules/picture/status.engine';

export interface Evaluation {
  effective: Effective;
  since: Date | null;
}

/**
 * One service, on its own: its dependency closure (one recursive query), the reports of every
 * component in it (one query), then ketenbeeld's own status engine. Nothing is shared with the
 * service next to it in the list, which is what makes this the naive way.
 */
export async function evaluateService(db: DataSource, serviceId: string, now: Date): Promise<Evaluation> {
  const edgeRows: { component_id: string; depends_on_id: string; kind: 'REQUIRED' | 'OPTIONAL'; redundancy_group: string | null }[] = await db.query(
    `WITH RECURSIVE below(id) AS (
       SELECT $1::uuid
       UNION
       SELECT d.depends_on_id FROM below b JOIN dependency d ON d.component_id = b.id AND d.removed_at IS NULL
     )
     SELECT d.component_id, d.depends_on_id, d.kind, d.redundancy_group
     FROM below b JOIN dependency d ON d.component_id = b.id AND d.removed_at IS NULL`,
    [serviceId],
  );
  const ids = new Set<string>([serviceId]);
  const edges: EdgeFact[] = edgeRows.map((row) => {
    ids.add(row.depends_on_id);
    return { componentId: row.component_id, dependsOnId: row.depends_on_id, kind: row.kind, redundancyGroup: row.redundancy_group, from: Number.NEGATIVE_INFINITY, until: null };
  });
  const reports = await db.getRepository(StatusReport).find({
    where: { componentId: In([...ids]), observedAt: LessThanOrEqual(now) },
    order: { componentId: 'ASC', observedAt: 'ASC', seq: 'ASC' },
  });
  const facts = new Map<string, ComponentFact>();
  for (const id of ids) facts.set(id, { id, heartbeats: [], reports: [], retiredAt: null });
  for (const report of reports) {
    facts.get(report.componentId)!.reports.push({
      id: report.id, componentId: report.componentId, status: report.status, cause: report.cause,
      observedAt: report.observedAt, seq: Number(report.seq),
    });
  }
  const timeline = new StatusTimeline(new DependencyGraph(facts.values(), edges));
  return { effective: timeline.at(now).judge(serviceId), since: timeline.since(serviceId, now) };
}
