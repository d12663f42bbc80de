import type { EntityManager } from 'typeorm';
import type { ComponentStatus } from '../../common/vocabulary';
import { countryAt, factsRepository, idsAboveAt } from './facts.repository';
import { judge, readAbove } from './picture.keeper';
import { ROWS_TO_JUDGE, RowToJudge } from './picture.repository';
import type { Delivery } from './status.rules';
import { Effective, KnownEffective, StatusPicture } from './status.engine';

/** A what-if judged: what every component above the ones switched would be. Nothing is written. */
export interface WhatIfJudgement {
  /** The moment judged. */
  at: Date;
  /** The components above the ones switched (them included). */
  memberIds: string[];
  effectiveOf(componentId: string): Effective | KnownEffective;
  /** Whether the component is stale at that moment: a hypothetical status does not make facts fresher or older. */
  staleThen(componentId: string): boolean;
  /** Who receives which of the member services at that moment. */
  deliveries: Delivery[];
}

/** The what-if being judged and used on this instance; the next one starts when it is done. */
let whatIfInTurn: Promise<unknown> = Promise.resolve();

/**
 * Judges what would be if `componentIds` had `status` and hands the judgement to `use`. One what-if
 * at a time on an instance: a judgement above a hub holds a few hundred megabytes while it is used,
 * and on one core two at once take as long as one after the other, so the others wait their turn
 * (without a database connection) instead of adding theirs. The judgement reads one snapshot (a
 * REPEATABLE READ transaction), so reports arriving meanwhile cannot leave it half before and half
 * after them.
 */
export function withWhatIf<T>(
  db: EntityManager, componentIds: readonly string[], status: ComponentStatus, asOf: Date | null, now: Date,
  use: (judged: WhatIfJudgement) => Promise<T>,
): Promise<T> {
  const work = async () => use(await db.transaction('REPEATABLE READ', (tx) => judgeWhatIf(tx, componentIds, status, asOf, now)));
  const turn = whatIfInTurn.then(work, work);
  whatIfInTurn = turn.catch(() => undefined);
  return turn;
}

/**
 * Judges what would be if `componentIds` had `status`: now, on top of the stored picture (only what
 * lies above them is judged again), or at `asOf`, from the facts in force then.
 */
async function judgeWhatIf(db: EntityManager, componentIds: readonly string[], status: ComponentStatus, asOf: Date | null, now: Date): Promise<WhatIfJudgement> {
  const override = new Map(componentIds.map((id) => [id, status]));
  if (asOf === null) {
    const rows = new Map<string, RowToJudge>();
    await readAbove(db, componentIds, rows, ROWS_TO_JUDGE);
    const members = new Set(rows.keys());
    // Who receives the member services is read while they are judged.
    const [deliveries, { picture }] = await Promise.all([
      factsRepository.deliveriesNow(db, [...members].filter((id) => rows.get(id)!.kind === 'SERVICE')),
      judge(rows, members, now.getTime(), override),
    ]);
    return {
      at: now, memberIds: [...members], deliveries,
      effectiveOf: (id) => picture.effective(id),
      staleThen: (id) => rows.get(id)?.stale ?? false,
    };
  }
  const memberIds = await idsAboveAt(db, componentIds, asOf);
  // The whole country at `asOf`: what lies below the members is judged as it was then.
  const graph = await countryAt(db, asOf);
  const then = new StatusPicture(graph, asOf);
  const picture = new StatusPicture(graph, asOf, { override });
  const deliveries = await factsRepository.deliveriesAt(db, memberIds, asOf);
  return {
    at: asOf, memberIds, deliveries,
    effectiveOf: (id) => picture.effective(id),
    staleThen: (id) => then.effective(id).stale,
  };
}
