import DataLoader from 'dataloader';
import { EntityManager } from 'typeorm';
import { byKey, groupByKey } from '../../common/batch';
import { recipientRepository } from '../../common/tlp-recipients';
import type { LabelledSubject } from '../../common/tlp-recipients';
import { Incident, IncidentUpdate } from './incident.entity';
import { incidentRepository } from './incident.repository';
import { standingOnAt } from '../picture';

/** An incident behind a component, with every component it names. */
export interface IncidentBehind {
  incidentId: string;
  componentIds: string[];
}

export function createIncidentLoaders(db: EntityManager) {
  /**
   * The incidents behind each component at a moment (begun by then; `openOnly`: not resolved by
   * then): those naming the component or anything it depended on. Asked from the incidents' side,
   * which are few, for all the components of one request at once.
   */
  const behind = new Map<string, DataLoader<string, IncidentBehind[]>>();
  const incidentsBehindAt = (asOf: Date, openOnly: boolean) => {
    const key = `${asOf.getTime()}|${openOnly}`;
    let loader = behind.get(key);
    if (!loader) {
      loader = new DataLoader<string, IncidentBehind[]>(async (componentIds) => {
        const links = (await incidentRepository.componentsOfIncidentsBegunBy(db, asOf))
          .filter((link) => !openOnly || link.resolvedAt === null || link.resolvedAt.getTime() > asOf.getTime());
        if (links.length === 0) return componentIds.map(() => []);
        const componentsOf = new Map<string, string[]>();
        const incidentsOn = new Map<string, string[]>();
        for (const link of links) {
          componentsOf.set(link.incidentId, [...(componentsOf.get(link.incidentId) ?? []), link.componentId]);
          incidentsOn.set(link.componentId, [...(incidentsOn.get(link.componentId) ?? []), link.incidentId]);
        }
        const found = new Map<string, Set<string>>();
        for (const pair of await standingOnAt(db, [...incidentsOn.keys()], componentIds, asOf)) {
          const ids = found.get(pair.id) ?? new Set<string>();
          for (const incidentId of incidentsOn.get(pair.root)!) ids.add(incidentId);
          found.set(pair.id, ids);
        }
        return componentIds.map((id) => [...(found.get(id) ?? [])].map((incidentId) => ({ incidentId, componentIds: componentsOf.get(incidentId)! })));
      });
      behind.set(key, loader);
    }
    return loader;
  };
  const recipientsOf = (subject: LabelledSubject) => new DataLoader<string, string[]>(async (ids) =>
    groupByKey(ids, await recipientRepository.bySubjects(db, subject, ids), (row) => row.subjectId).map((rows) => rows.map((row) => row.organisationId)));
  return {
    recipientIdsByIncident: recipientsOf('Incident'),
    recipientIdsByIncidentUpdate: recipientsOf('IncidentUpdate'),
    publishesClearIncidentUpdates: new DataLoader<string, boolean>(async (ids) => {
      const authors = new Set(await incidentRepository.clearAuthors(db, ids));
      return ids.map((id) => authors.has(id));
    }),
    incidentById: new DataLoader<string, Incident | null>(async (ids) =>
      byKey(ids, await incidentRepository.findByIds(db, ids), (row) => row.id)),
    incidentUpdateById: new DataLoader<string, IncidentUpdate | null>(async (ids) =>
      byKey(ids, await incidentRepository.updatesByIds(db, ids), (row) => row.id)),
    updatesByIncident: new DataLoader<string, IncidentUpdate[]>(async (ids) =>
      groupByKey(ids, await incidentRepository.updatesByIncidents(db, ids), (row) => row.incidentId)),
    componentIdsByIncident: new DataLoader<string, string[]>(async (ids) =>
      groupByKey(ids, await incidentRepository.links(db, 'incident_component', 'incident_id', ids), (row) => row.incidentId)
        .map((group) => group.map((row) => row.otherId))),
    advisoryIdsByIncident: new DataLoader<string, string[]>(async (ids) =>
      groupByKey(ids, await incidentRepository.links(db, 'incident_advisory', 'incident_id', ids), (row) => row.incidentId)
        .map((group) => group.map((row) => row.otherId))),
    incidentsBehindAt,
  };
}

export type IncidentLoaders = ReturnType<typeof createIncidentLoaders>;
