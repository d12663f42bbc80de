import DataLoader from 'dataloader';
import { EntityManager } from 'typeorm';
import { byKey } from '../../common/batch';
import { childPageLoader } from '../../common/page-loader';
import { StatusReport } from './status-report.entity';
import { statusRepository } from './status.repository';

/** Loaders that depend on a moment are made once per moment per request. */
function perMoment<T>(make: (asOf: Date) => T): (asOf: Date) => T {
  const byMoment = new Map<number, T>();
  return (asOf) => {
    let value = byMoment.get(asOf.getTime());
    if (value === undefined) {
      value = make(asOf);
      byMoment.set(asOf.getTime(), value);
    }
    return value;
  };
}

export function createStatusLoaders(db: EntityManager) {
  return {
    statusReportById: new DataLoader<string, StatusReport | null>(async (ids) =>
      byKey(ids, await statusRepository.reportsByIds(db, ids), (row) => row.id)),

    statusHistoryPage: childPageLoader<{ observedAt: string; seq: number }>((ids, after, limit) =>
      statusRepository.historyPages(db, ids, after, limit)),

    /** The report that decides a component's own status at a moment. */
    reportedStatusAt: perMoment((asOf) => new DataLoader<string, StatusReport | null>(async (ids) =>
      byKey(ids, await statusRepository.latestReports(db, ids, asOf), (row) => row.componentId))),
  };
}

export type StatusLoaders = ReturnType<typeof createStatusLoaders>;
