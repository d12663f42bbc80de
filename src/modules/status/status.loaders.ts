import DataLoader from 'dataloader';
import { EntityManager } from 'typeorm';
import { byKey } from '../../common/batch';
import { childPageLoader } from '../../common/page-loader';
import { StatusTimeline } from './status.engine';
import type { Component } from '../component/component.entity';
import { EffectiveStatusModel } from './status.models';
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

/** `primeComponent` hands the component rows a graph query read to the component loader. */
export function createStatusLoaders(db: EntityManager, primeComponent: (component: Component) => void) {
  return {
    statusReportById: new DataLoader<string, StatusReport | null>(async (ids) =>
      byKey(ids, await statusRepository.reportsByIds(db, ids), (row) => row.id)),

    statusHistoryPage: childPageLoader<{ observedAt: string; seq: number }>((ids, after, limit) =>
      statusRepository.historyPages(db, ids, after, limit)),

    /** The report that decides a component's own status at a moment. */
    reportedStatusAt: perMoment((asOf) => new DataLoader<string, StatusReport | null>(async (ids) =>
      byKey(ids, await statusRepository.latestReports(db, ids, asOf), (row) => row.componentId))),

    /**
     * Effective status at a moment for every component asked for in one tick: one closure query
     * and one report query for all of them, then the status engine in memory.
     */
    effectiveStatusAt: perMoment((asOf) => new DataLoader<string, EffectiveStatusModel>(async (ids) => {
      const { graph, components } = await statusRepository.graphBelowWithComponents(db, ids, asOf);
      for (const component of components) primeComponent(component);
      const timeline = new StatusTimeline(graph);
      const picture = timeline.at(asOf);
      return ids.map((id) => ({ effective: picture.effective(id), timeline, asOf }));
    })),
  };
}

export type StatusLoaders = ReturnType<typeof createStatusLoaders>;
