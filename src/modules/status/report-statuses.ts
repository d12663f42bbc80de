import type { RequestContext } from '../../context';
import { AppError, badInput } from '../../errors';
import { reportStatus, ReportStatusInput, ReportStatusResult } from './report-status';

/** A batch larger than this is refused whole: a bulk shutdown of 300 gateways fits, a country does not. */
export const MAX_REPORTS_PER_BATCH = 500;

export interface ReportStatusesResultModel {
  index: number;
  outcome: 'ACCEPTED' | 'REPLAYED' | 'REFUSED';
  idempotencyKey: string | null;
  result: ReportStatusResult | null;
  error: { code: string; field: string | null; message: string } | null;
}

/**
 * Takes each report in as `reportStatus` does (its rules, its idempotency, its own transaction), in
 * order, and says per report what became of it: one refused report loses none of the others. A
 * batch's reports are independent facts, so there is nothing to undo when one is refused; a client
 * that retries the whole batch after a lost answer gets REPLAYED for what was taken in (with keys).
 *
 * An error that is not a refusal (the database went away) ends the batch with that error: what was
 * taken in before it stays, and a retry with the same keys completes it.
 */
export async function reportStatuses(ctx: RequestContext, reports: readonly ReportStatusInput[]): Promise<ReportStatusesResultModel[]> {
  ctx.scope.requireRole('Reporting status', 'OPERATOR', 'VENDOR', 'COORDINATOR');
  if (reports.length === 0) throw badInput('Give at least one report', 'reports');
  if (reports.length > MAX_REPORTS_PER_BATCH) {
    throw badInput(`At most ${MAX_REPORTS_PER_BATCH} reports per batch (${reports.length} given); send the rest in another`, 'reports');
  }
  const results: ReportStatusesResultModel[] = [];
  for (const [index, input] of reports.entries()) {
    const idempotencyKey = input.idempotencyKey ?? null;
    try {
      const result = await reportStatus(ctx, input);
      results.push({ index, outcome: result.replayed ? 'REPLAYED' : 'ACCEPTED', idempotencyKey, result, error: null });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      results.push({
        index, outcome: 'REFUSED', idempotencyKey, result: null,
        error: { code: error.code, field: error.field === undefined ? null : `reports.${index}.${error.field}`, message: error.message },
      });
    }
  }
  return results;
}
