import type { RequestContext } from '../../context';
import { AppError, badInput, notFound } from '../../errors';
import { recordAudit } from '../access';
import { idOf } from '../../common/global-id';
import { recordStatusChanges } from '../events';
import { ComponentStatus, StatusCause, StatusReport } from './status-report.entity';
import { createStatusLoaders } from './status.loaders';
import type { EffectiveStatusModel } from './status.models';
import { statusRepository } from './status.repository';

/** A clock a few minutes fast at the reporter's end is normal; an hour is a mistake. */
const FUTURE_SKEW_MS = 5 * 60_000;
const EARLIEST = new Date('2000-01-01T00:00:00Z');

export interface ReportStatusInput {
  componentId: string;
  status: ComponentStatus;
  cause?: StatusCause | null;
  observedAt?: Date | null;
  source?: string | null;
  note?: string | null;
  reportedBy?: string | null;
  idempotencyKey?: string | null;
}

export interface ReportStatusResult {
  report: StatusReport;
  replayed: boolean;
  current: boolean;
  /** The component's effective status with the report, judged before commit (see below). */
  effective: EffectiveStatusModel;
}

function checkText(value: string | null | undefined, field: string, max: number): string | null {
  if (value === null || value === undefined) return null;
  if (value.length > max) throw badInput(`${field} is limited to ${max} characters`, field);
  return value;
}

function validate(ctx: RequestContext, input: ReportStatusInput) {
  const componentId = idOf('Component', input.componentId, 'componentId');
  if (input.status === 'UNKNOWN') throw badInput('UNKNOWN means "never reported"; report what you observed', 'status');
  const cause = input.cause ?? null;
  if (input.status === 'OPERATIONAL' && cause !== null) throw badInput('An OPERATIONAL report has no cause', 'cause');
  if (input.status !== 'OPERATIONAL' && cause === null) {
    throw badInput(`A ${input.status} report needs a cause (PRECAUTIONARY_SHUTDOWN, FAILURE, MAINTENANCE, COMPROMISE or DEPENDENCY)`, 'cause');
  }
  const observedAt = input.observedAt ?? ctx.now;
  if (observedAt.getTime() > ctx.now.getTime() + FUTURE_SKEW_MS) {
    throw badInput(`observedAt lies more than five minutes in the future (server time ${ctx.now.toISOString()})`, 'observedAt');
  }
  if (observedAt.getTime() < EARLIEST.getTime()) throw badInput('observedAt lies before 2000', 'observedAt');
  const idempotencyKey = checkText(input.idempotencyKey, 'idempotencyKey', 200);
  if (idempotencyKey !== null && idempotencyKey.trim() === '') throw badInput('idempotencyKey must not be empty', 'idempotencyKey');
  return {
    componentId, status: input.status as Exclude<ComponentStatus, 'UNKNOWN'>, cause, observedAt, idempotencyKey,
    source: checkText(input.source, 'source', 2000),
    note: checkText(input.note, 'note', 2000),
    reportedBy: checkText(input.reportedBy, 'reportedBy', 200),
  };
}

/**
 * Appends a status report (api.md, reportStatus). One transaction; an idempotent retry returns the
 * first report even when two retries race (the unique key decides, not a read-then-write).
 */
export async function reportStatus(ctx: RequestContext, input: ReportStatusInput): Promise<ReportStatusResult> {
  const report = validate(ctx, input);
  const component = await ctx.unguarded.componentById.load(report.componentId);
  if (!component) throw notFound(`No component with id ${input.componentId}`, 'componentId');
  ctx.scope.requireOperatorOf(component, 'Reporting on this component');
  const reporterId = ctx.scope.actingOrganisationId;

  return ctx.db.transaction(async (db) => {
    const inserted: { id: string }[] = await db.query(
      `INSERT INTO status_report (component_id, status, cause, observed_at, reporter_id, reported_by, source, note, idempotency_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (reporter_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
       RETURNING id`,
      [report.componentId, report.status, report.cause, report.observedAt, reporterId, report.reportedBy, report.source, report.note, report.idempotencyKey],
    );
    let id: string;
    let replayed = false;
    if (inserted.length === 1) {
      id = inserted[0].id;
      await recordAudit(db, ctx, { operation: 'reportStatus', entityType: 'StatusReport', entityId: id });
      // Live updates: one change event per component whose effective status this report changed.
      await recordStatusChanges(db, { componentId: report.componentId, reportId: id, observedAt: report.observedAt, now: ctx.now });
    } else {
      const first = await db.findOneByOrFail(StatusReport, { reporterId, idempotencyKey: report.idempotencyKey! });
      const same = first.componentId === report.componentId && first.status === report.status && first.cause === report.cause
        && first.source === report.source && first.note === report.note && first.reportedBy === report.reportedBy
        && (input.observedAt === null || input.observedAt === undefined || first.observedAt.getTime() === report.observedAt.getTime());
      if (!same) {
        throw new AppError('CONFLICT', `idempotencyKey "${report.idempotencyKey}" was already used for a different report (${first.id})`, 'idempotencyKey');
      }
      id = first.id;
      replayed = true;
    }
    const newest = await statusRepository.newestReport(db, report.componentId);
    // Read inside the transaction: once it has committed, the answer needs nothing more from the
    // database, so a database that goes away right after the commit cannot turn a stored report
    // into an error. Judged at the later of now and the observation, so it includes the report.
    const moment = new Date(Math.max(ctx.now.getTime(), report.observedAt.getTime()));
    const judged = createStatusLoaders(db, (below) => ctx.unguarded.componentById.prime(below.id, below));
    const effective = await judged.effectiveStatusAt(moment).load(report.componentId);
    return { report: await db.findOneByOrFail(StatusReport, { id }), replayed, current: newest?.id === id, effective };
  });
}
