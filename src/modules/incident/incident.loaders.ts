import DataLoader from 'dataloader';
import { EntityManager } from 'typeorm';
import { byKey, groupByKey } from '../../common/batch';
import { recipientRepository } from '../../common/tlp-recipients';
import type { LabelledSubject } from '../../common/tlp-recipients';
import { Incident, IncidentUpdate } from './incident.entity';
import { incidentRepository } from './incident.repository';

export function createIncidentLoaders(db: EntityManager) {
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
    incidentIdsByComponent: new DataLoader<string, string[]>(async (ids) =>
      groupByKey(ids, await incidentRepository.links(db, 'incident_component', 'component_id', ids), (row) => row.otherId)
        .map((group) => group.map((row) => row.incidentId))),
  };
}

export type IncidentLoaders = ReturnType<typeof createIncidentLoaders>;
