import DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import { byKey, groupByKey } from '../../common/batch';
import { factsRepository } from './facts.repository';
import type { EffectiveStatusModel } from './picture.models';
import { StoredStatus, storedPictureRepository } from './picture.repository';
import type { ServiceNow } from './picture.repository';
import { StatusTimeline } from './status.engine';

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

export function modelOfStored(row: StoredStatus, now: Date): EffectiveStatusModel {
  return {
    componentId: row.componentId,
    asOf: now,
    status: row.status,
    cause: row.cause,
    since: row.since,
    stale: row.stale,
    staleSince: row.ownStaleFrom !== null && row.ownStaleFrom.getTime() < now.getTime() ? row.ownStaleFrom : null,
    rootCause: row.rootCause,
    rootCauseReportId: row.rootCauseReportId,
    rootCauseMaintenanceId: row.rootCauseMaintenanceId,
  };
}

/** The engine's answer for a component at `asOf`, from its history. */
export function modelOfJudged(timeline: StatusTimeline, componentId: string, asOf: Date): EffectiveStatusModel {
  const effective = timeline.at(asOf).judge(componentId);
  return {
    componentId,
    asOf,
    status: effective.status,
    cause: effective.cause,
    since: timeline.since(componentId, asOf),
    stale: effective.stale,
    staleSince: effective.ownStaleFrom !== null && effective.ownStaleFrom < asOf.getTime() ? new Date(effective.ownStaleFrom) : null,
    rootCause: effective.rootCause,
    rootCauseReportId: effective.rootCauseReportId,
    rootCauseMaintenanceId: effective.rootCauseMaintenanceId,
  };
}

/** Fresh for every request. `now` is the request's one clock reading. */
export function createPictureLoaders(db: EntityManager, now: Date) {
  /** Every history asked for at one moment in one tick: one statement, one timeline. */
  const historyAt = perMoment((asOf) => new DataLoader<string, StatusTimeline>(async (ids) => {
    const timeline = new StatusTimeline(await factsRepository.history(db, ids, asOf));
    return ids.map(() => timeline);
  }));
  return {
    /** A component's effective status now: a lookup in the stored picture. */
    storedStatus: new DataLoader<string, EffectiveStatusModel | null>(async (ids) =>
      byKey(ids, await storedPictureRepository.statuses(db, ids), (row) => row.componentId).map((row) => (row ? modelOfStored(row, now) : null))),

    /** A component's effective status at an earlier (or any given) moment, judged from its history. */
    judgedStatusAt: perMoment((asOf) => new DataLoader<string, EffectiveStatusModel>(async (ids) => {
      const timelines = await historyAt(asOf).loadMany(ids);
      return ids.map((id, i) => {
        const timeline = timelines[i];
        if (timeline instanceof Error) throw timeline;
        return modelOfJudged(timeline, id, asOf);
      });
    })),

    /** The history below a component, for uptime and past answers. */
    historyAt,

    /** The services delivered to a municipality now, with their stored status, by service name. */
    servicesNow: new DataLoader<string, ServiceNow[]>(async (ids) =>
      groupByKey(ids, await storedPictureRepository.servicesOfMunicipalities(db, ids), (row) => row.municipalityId)),
  };
}

export type PictureLoaders = ReturnType<typeof createPictureLoaders>;
