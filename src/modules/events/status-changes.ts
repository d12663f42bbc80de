import type { EntityManager } from 'typeorm';
import { DependencyGraph, judgeReportOnLivePicture, StatusPicture, statusRepository } from '../status';
import type { JudgedReport } from '../status';
import { changeEventRepository, NewStatusChange } from './change-event.repository';
import { markEventsRecorded, requireTransaction } from './in-process-channel';
import { PreviousReport, statusChangesRepository } from './status-changes.repository';

type ComponentFact = NonNullable<ReturnType<DependencyGraph['component']>>;
type EdgeFact = ReturnType<DependencyGraph['dependenciesOf']>[number];

export interface InsertedReport {
  componentId: string;
  /** The report just inserted: the picture before it is the same picture without it. */
  reportId: string;
  observedAt: Date;
  /** The writer's clock reading (ctx.now). */
  now: Date;
}

/**
 * The same graph with one component's own reports replaced. Everything else, edges included, is shared.
 */
export function withOwnReports(graph: DependencyGraph, rootIds: readonly string[], componentId: string, reports: PreviousReport[]): DependencyGraph {
  // One walk for all roots: above a hub they number 33,000 and share most of what lies below them.
  const ids = graph.closureOfAll(rootIds);
  const components: ComponentFact[] = [];
  const edges: EdgeFact[] = [];
  for (const id of ids) {
    const fact = graph.component(id);
    if (fact) components.push(id === componentId ? { ...fact, reports } : fact);
    edges.push(...graph.dependenciesOf(id));
  }
  return new DependencyGraph(components, edges);
}

/** Components (of `ids`, in that order) whose effective status the report changed. */
export function changedStatuses(judged: JudgedReport): Omit<NewStatusChange, 'municipalityIds' | 'since'>[] {
  const changes: Omit<NewStatusChange, 'municipalityIds' | 'since'>[] = [];
  for (const id of judged.ids) {
    const was = judged.statusBefore(id);
    const is = judged.after.effective(id);
    if (was === is.status) continue;
    changes.push({ componentId: id, status: is.status, previousStatus: was, cause: is.cause, rootCause: is.rootCause });
  }
  return changes;
}

/**
 * The report judged from the facts: the reported component and everything above it, with all they
 * depend on, before and after the report. For when the stored picture cannot be used
 * (`judgeReportOnLivePicture`): it stays out of date, for the next reader to rebuild.
 */
async function judgeReportFromFacts(db: EntityManager, report: InsertedReport, moment: Date): Promise<JudgedReport> {
  const above = await statusRepository.idsAbove(db, report.componentId, moment);
  // The reported component first, then what depends on it.
  const ids = [report.componentId, ...above.filter((id) => id !== report.componentId)];
  const after = await statusRepository.graphBelow(db, ids, moment, 'latest');
  const previous = await statusChangesRepository.reportBefore(db, report.componentId, report.reportId, moment);
  const before = new StatusPicture(withOwnReports(after, ids, report.componentId, previous ? [previous] : []), moment);
  return { ids, statusBefore: (id) => before.effective(id).status, after: new StatusPicture(after, moment) };
}

/**
 * Stores one change event per component whose effective status the report changed: the reported
 * component and everything that depends on it, transitively (the public counter when Centric's
 * gateway goes down). Call it inside the report's transaction, once, when the report was inserted;
 * subscribers hear of it when that transaction commits. Returns how many events it stored.
 *
 * Judged at the live moment (now, or the observation when the reporter's clock runs a little
 * ahead), so a late report that is history rather than news changes nothing and tells no one.
 */
export async function recordStatusChanges(db: EntityManager, report: InsertedReport): Promise<number> {
  requireTransaction(db);
  await changeEventRepository.lockEventOrder(db);
  const moment = new Date(Math.max(report.now.getTime(), report.observedAt.getTime()));
  const judged = (await judgeReportOnLivePicture(db, report.componentId, moment)) ?? (await judgeReportFromFacts(db, report, moment));
  const changes = changedStatuses(judged);
  if (changes.length === 0) return 0;
  const deliveredTo = await statusChangesRepository.municipalitiesOfServices(db, changes.map((change) => change.componentId));
  const last = await changeEventRepository.insertStatusChanges(db, changes.map((change) => ({
    ...change,
    municipalityIds: deliveredTo.get(change.componentId) ?? [],
    since: report.observedAt,
  })));
  await changeEventRepository.notify(db, last);
  markEventsRecorded(db);
  return changes.length;
}
