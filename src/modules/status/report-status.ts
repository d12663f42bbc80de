import type { RequestContext } from '../../context';
import { AppError, badInput, notFound } from '../../errors';
import type { ComponentStatus, ReportedStatus, StatusCause } from '../../common/vocabulary';
import { inWriteTransaction } from '../../db/write-transaction';
import { recordAudit } from '../audit';
import { idOf } from '../../common/global-id';
import { recordStatusChanges } from '../events';
import { pictureKeeper, storedStatusAsModel, storedStatusIn } from '../picture';
import type { EffectiveStatusModel, ReportFact } from '../picture';
import { componentIdByExternalRef } from '../component';
import { StatusReport } from './status-report.entity';

/** A clock a few minutes fast at the reporter's end is normal; an hour is a mistake. */
const FUTURE_SKEW_MS = 5 * 60_000;
const EARLIEST = new Date('2000-01-01T00:00:00Z');

export interface ReportStatusInput {
  /** Exactly one of componentId and externalRef. */
  componentId?: string | null;
  /** The caller's own name for the component (Component.externalRef), resolved among its own components. */
  externalRef?: string | null;
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
  /** The component's effective status once the report is taken in. */
  effectiveStatus: EffectiveStatusModel;
}

function checkText(value: string | null | undefined, field: string, max: number): string | null {
  if (value === null || value === undefined) return null;
  if (value.length > max) throw badInput(`${field} is limited to ${max} characters`, field);
  return value;
}

function validate(ctx: RequestContext, input: ReportStatusInput) {
  const byId = input.componentId !== null && input.componentId !== undefined;
  const byRef = input.externalRef !== null && input.externalRef !== undefined;
  if (byId === byRef) throw badInput('Give exactly one of componentId and externalRef', byId ? 'externalRef' : 'componentId');
  const componentId = byId ? idOf('Component', input.componentId!, 'componentId') : null;
  const externalRef = byRef ? checkText(input.externalRef, 'externalRef', 200) : null;
  if (input.status === 'UNKNOWN') throw badInput('UNKNOWN means "never reported"; report what you observed', 'status');
  const cause = input.cause ?? null;
  if (input.status === 'OPERATIONAL' && cause !== null) throw badInput('An OPERATIONAL report has no cause', 'cause');
  if (input.status !== 'OPERATIONAL' && cause === null) {
    throw badInput(`A ${input.status} report needs a cause (PRECAUTIONARY_SHUTDOWN, FAILURE, MAINTENANCE, COMPROMISE or DEPENDENCY)`, 'cause');
  }
  const claimed = input.observedAt ?? null;
  if (claimed && claimed.getTime() > ctx.now.getTime() + FUTURE_SKEW_MS) {
    throw badInput(`observedAt lies more than five minutes in the future (server time ${ctx.now.toISOString()})`, 'observedAt');
  }
  if (claimed && claimed.getTime() < EARLIEST.getTime()) throw badInput('observedAt lies before 2000', 'observedAt');
  const idempotencyKey = checkText(input.idempotencyKey, 'idempotencyKey', 200);
  if (idempotencyKey !== null && idempotencyKey.trim() === '') throw badInput('idempotencyKey must not be empty', 'idempotencyKey');
  return {
    componentId, externalRef, status: input.status as ReportedStatus, cause, claimed, idempotencyKey,
    source: checkText(input.source, 'source', 2000),
    note: checkText(input.note, 'note', 2000),
    reportedBy: checkText(input.reportedBy, 'reportedBy', 200),
  };
}

/**
 * The caller's own component it calls `externalRef`. Only the caller's organisation's components are
 * searched, so an external ref never names another operator's component (a coordinator's too).
 */
async function idOfExternalRef(ctx: RequestContext, externalRef: string): Promise<string> {
  ctx.scope.requireOrganisation('Reporting by externalRef');
  const id = await componentIdByExternalRef(ctx, ctx.scope.actingOrganisationId, externalRef);
  if (id === null) throw notFound(`None of your components has externalRef "${externalRef}"`, 'externalRef');
  return id;
}

/**
 * Appends a status report (api.md, reportStatus) and takes it into the picture, in one transaction.
 * An idempotent retry returns the first report even when two retries race (the unique key decides,
 * not a read-then-write).
 *
 * A report cannot have been observed after it arrived: one dated a few minutes ahead by a reporter's
 * clock counts as observed when it arrived, so that *now* never holds a status that is not yet true.
 */
export async function reportStatus(ctx: RequestContext, input: ReportStatusInput): Promise<ReportStatusResult> {
  const checked = validate(ctx, input);
  const componentId = checked.componentId ?? await idOfExternalRef(ctx, checked.externalRef!);
  const report = { ...checked, componentId };
  const component = await ctx.unguarded.componentById.load(report.componentId);
  if (!component) throw notFound(`No component with id ${input.componentId}`, 'componentId');
  ctx.scope.requireOperatorOf(component, 'Reporting on this component');
  if (component.retiredAt !== null) throw badInput(`${component.name} was retired on ${component.retiredAt.toISOString()}: it takes no reports`, 'componentId');
  const reporterId = ctx.scope.actingOrganisationId;

  return inWriteTransaction(ctx.db, async (db) => {
    const now = new Date();
    const observedAt = report.claimed === null || report.claimed.getTime() > now.getTime() ? now : report.claimed;
    const inserted: { id: string; seq: string }[] = await db.query(
      `INSERT INTO status_report (component_id, status, cause, observed_at, reporter_id, reported_by, source, note, idempotency_key, recorded_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (reporter_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
       RETURNING id, seq`,
      [report.componentId, report.status, report.cause, observedAt, reporterId, report.reportedBy, report.source, report.note, report.idempotencyKey, now],
    );
    let stored: StatusReport;
    let replayed = false;
    let after: { effectiveStatus: EffectiveStatusModel; newestReportId: string | null };
    if (inserted.length === 1) {
      const { id, seq } = inserted[0];
      stored = Object.assign(new StatusReport(), {
        id, seq, componentId: report.componentId, status: report.status, cause: report.cause, observedAt, recordedAt: now, reporterId,
        reportedBy: report.reportedBy, source: report.source, note: report.note, idempotencyKey: report.idempotencyKey,
      });
      const fact: ReportFact = { id, componentId: report.componentId, status: report.status, cause: report.cause, observedAt, seq: Number(seq) };
      const { changes, component } = await pictureKeeper.reportStored(db, fact, now);
      await recordStatusChanges(db, changes);
      after = storedStatusAsModel(component, now);
      await recordAudit(db, ctx, { operation: 'reportStatus', entityType: 'StatusReport', entityId: id });
    } else {
      const first = await db.findOneByOrFail(StatusReport, { reporterId, idempotencyKey: report.idempotencyKey! });
      // A claimed observation after the first report arrived was counted as its arrival.
      const claimedThen = report.claimed && Math.min(report.claimed.getTime(), first.recordedAt.getTime());
      const same = first.componentId === report.componentId && first.status === report.status && first.cause === report.cause
        && first.source === report.source && first.note === report.note && first.reportedBy === report.reportedBy
        && (report.claimed === null || first.observedAt.getTime() === claimedThen);
      if (!same) {
        throw new AppError('CONFLICT', `idempotencyKey "${report.idempotencyKey}" was already used for a different report (${first.id})`, 'idempotencyKey');
      }
      stored = first;
      replayed = true;
      after = await storedStatusIn(db, report.componentId, now);
    }
    // The stored picture holds the component's own newest report: current when it is this one.
    return { report: stored, replayed, current: after.newestReportId === stored.id, effectiveStatus: after.effectiveStatus };
  });
}
