import DataLoader from 'dataloader';
import { EntityManager } from 'typeorm';
import { byKey, groupByKey } from '../../common/batch';
import { perMoment } from '../../common/per-moment';
import { recipientRepository } from '../../common/tlp-recipients';
import { Advisory, AdvisoryAffectedProduct, AdvisoryRevision, AdvisoryVulnerability, GatewayRemediation } from './advisory.entity';
import { advisoryRepository } from './advisory.repository';
import { judgeExposures } from './exposure';
import type { Judged } from './exposure';

/** What an advisory concerns now, for TLP:AMBER and AMBER+STRICT: its exposed components and their operators. */
export interface AdvisoryConcern { componentIds: string[]; operatorIds: string[] }

export function createAdvisoryLoaders(db: EntityManager) {
  const advisoryById = new DataLoader<string, Advisory | null>(async (ids) =>
    byKey(ids, await advisoryRepository.findByIds(db, ids), (row) => row.id));
  return {
    advisoryById,
    affectedProductsByAdvisory: new DataLoader<string, AdvisoryAffectedProduct[]>(async (ids) =>
      groupByKey(ids, await advisoryRepository.currentStatements(db, ids), (row) => row.advisoryId)),
    revisionsByAdvisory: new DataLoader<string, AdvisoryRevision[]>(async (ids) =>
      groupByKey(ids, await advisoryRepository.revisions(db, ids), (row) => row.advisoryId)),
    vulnerabilitiesByAdvisory: new DataLoader<string, AdvisoryVulnerability[]>(async (ids) =>
      groupByKey(ids, await advisoryRepository.currentVulnerabilities(db, ids), (row) => row.advisoryId)),
    recipientIdsByAdvisory: new DataLoader<string, string[]>(async (ids) =>
      groupByKey(ids, await recipientRepository.bySubjects(db, 'Advisory', ids), (row) => row.subjectId).map((rows) => rows.map((row) => row.organisationId))),
    exposureAt: perMoment((asOf) => new DataLoader<string, Judged>(async (ids) => {
      const advisories = (await advisoryById.loadMany(ids)).filter((a): a is Advisory => a !== null && !(a instanceof Error));
      const judged = await judgeExposures(db, advisories, asOf);
      return ids.map((id) => judged.get(id) ?? { withdrawn: false, matches: [] });
    })),
    remediationsAt: perMoment((asOf) => new DataLoader<string, GatewayRemediation[]>(async (ids) =>
      groupByKey(ids, await advisoryRepository.remediationsAt(db, ids, asOf), (row) => row.advisoryId))),
    concernByAdvisory: new DataLoader<string, AdvisoryConcern>(async (ids) => {
      const advisories = (await advisoryById.loadMany(ids)).filter((a): a is Advisory => a !== null && !(a instanceof Error));
      const judged = await judgeExposures(db, advisories, new Date());
      return ids.map((id) => {
        const matches = judged.get(id)?.matches ?? [];
        return { componentIds: matches.map((m) => m.component.id), operatorIds: [...new Set(matches.map((m) => m.component.operatorId))] };
      });
    }),
    remediationById: new DataLoader<string, GatewayRemediation | null>(async (ids) =>
      byKey(ids, await advisoryRepository.remediationsByIds(db, ids), (row) => row.id)),
    publishesClearAdvisories: new DataLoader<string, boolean>(async (ids) => {
      const publishers = new Set(await advisoryRepository.clearPublishers(db, ids));
      return ids.map((id) => publishers.has(id));
    }),
  };
}

export type AdvisoryLoaders = ReturnType<typeof createAdvisoryLoaders>;
