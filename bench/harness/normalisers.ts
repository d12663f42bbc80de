import {
  dashboardServiceNames, Json, normaliseDashboard, normaliseImpact, normaliseOverview, normalisePostGraphileServices, normalisePublicDashboard, normaliseReport,
} from './validate';

/**
 * How to reduce an answer to what is compared, by name, so the load worker (another process) can be
 * told which to use. `expected` is applied to the floor's answer, `actual` to the contender's.
 */
export const NORMALISERS = {
  dashboard: { expected: normaliseDashboard, actual: normaliseDashboard },
  publicDashboard: { expected: normalisePublicDashboard, actual: normalisePublicDashboard },
  postgraphile: { expected: dashboardServiceNames, actual: normalisePostGraphileServices },
  overview: { expected: normaliseOverview, actual: normaliseOverview },
  impact: { expected: normaliseImpact, actual: normaliseImpact },
  /** W4 has no floor: a report is right when it is stored as new (not a replay) without errors. */
  report: { expected: () => ({ stored: true }), actual: normaliseReport },
} satisfies Record<string, { expected: (body: Json) => Json; actual: (body: Json) => Json }>;

export type NormaliserName = keyof typeof NORMALISERS;
