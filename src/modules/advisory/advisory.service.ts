import type { RequestContext } from '../../context';
import { notFound } from '../../errors';
import { idOf } from '../../common/global-id';
import { decodeCursor, Page, pageSize, toPage } from '../../common/pagination';
import type { Component } from '../component';
import { effectiveStatusesAt, severity } from '../picture';
import type { ComponentStatus } from '../../common/vocabulary';
import { Advisory, GatewayRemediation, RemediationState } from './advisory.entity';
import type { AdvisoryCallListModel, AdvisoryVulnerabilityModel, ExposedComponentModel, ExposureModel } from './advisory.models';
import { advisoryRepository } from './advisory.repository';
import { judgeExposure, Match } from './exposure';

export async function findAdvisory(ctx: RequestContext, globalId: string): Promise<Advisory> {
  const advisory = await ctx.loaders.advisoryById.load(idOf('Advisory', globalId));
  if (!advisory) throw notFound(`No advisory with id ${globalId}`, 'id');
  return advisory;
}

export async function listAdvisories(
  ctx: RequestContext,
  args: { first?: number | null; after?: string | null; publisherId?: string },
): Promise<Page<Advisory>> {
  const size = pageSize(args.first, 20);
  const cursor = decodeCursor(args.after, ['timestamp', 'uuid']);
  const { rows, totalCount } = await advisoryRepository.page(
    ctx.db,
    { publisherId: args.publisherId, visibleTo: await advisoryVisibility(ctx) },
    cursor ? { publishedAt: cursor[0] as string, id: cursor[1] as string } : null,
    size + 1,
  );
  for (const row of rows) ctx.loaders.advisoryById.prime(row.id, row);
  return toPage(rows, size, (row) => [row.publishedAt.toISOString(), row.id], totalCount, cursor !== null);
}

/** The AMBER advisories a list may show are those the guarded loader admits: the one rule, asked per advisory. */
async function advisoryVisibility(ctx: RequestContext) {
  const organisationId = ctx.scope.organisationId;
  if (organisationId === null || ctx.scope.isCoordinator) return { organisationId, isCoordinator: ctx.scope.isCoordinator, admittedIds: [] };
  const restricted = await advisoryRepository.restrictedIds(ctx.db);
  for (const advisory of restricted) ctx.unguarded.advisoryById.prime(advisory.id, advisory);
  const answers = await ctx.loaders.advisoryById.loadMany(restricted.map((a) => a.id));
  return { organisationId, isCoordinator: false, admittedIds: restricted.filter((_, i) => !(answers[i] instanceof Error)).map((a) => a.id) };
}

export function vulnerabilitiesOf(advisory: Advisory, rows: AdvisoryVulnerabilityModel[]): AdvisoryVulnerabilityModel[] {
  if (rows.length > 0 || advisory.csafTrackingId !== null) return rows;
  return advisory.cveIds.map((cve) => ({ cve, title: null, cvssScore: advisory.cvssScore, cvssVector: advisory.cvssVector, remediations: [] }));
}

/**
 * The gateways exposed at `asOf` (the national overview's silence count). Without `asOf`: the
 * components matched now, whether or not the advisory was withdrawn since: the caller
 * (advisoryRepository.publishedUpTo) decides for its own moment whether the advisory still counted.
 */
export async function exposedGateways(ctx: RequestContext, advisoryId: string, asOf?: Date): Promise<Component[]> {
  const advisory = await ctx.unguarded.advisoryById.load(advisoryId);
  if (!advisory) return [];
  const judged = asOf ? await judgeExposure(ctx.db, advisory, asOf) : await judgeExposure(ctx.db, { ...advisory, withdrawnAt: null }, ctx.now);
  return judged.matches.map((m) => m.component);
}

const REMEDIATION_ORDER: RemediationState[] = ['EXPOSED', 'MITIGATED', 'SWITCHED_OFF', 'PATCHED', 'NOT_AFFECTED'];

/** Exposure at `asOf` as its reader may see it: a coordinator every component, an organisation those it sees whole (not through an offer). */
export async function exposure(ctx: RequestContext, advisory: Advisory, asOf: Date): Promise<ExposureModel> {
  ctx.scope.requireOrganisation('Exposure');
  const judged = await ctx.loaders.exposureAt(asOf).load(advisory.id);
  const visible = ctx.scope.isCoordinator ? null : await ctx.scope.wholeComponentIds();
  const matches = visible ? judged.matches.filter((m) => visible.has(m.component.id)) : judged.matches;
  const components = await exposedComponents(ctx, advisory.id, matches, asOf);

  const byStatus = new Map<ComponentStatus, Component[]>();
  const byRemediation = new Map<RemediationState, Component[]>();
  for (const exposed of components) {
    byStatus.set(exposed.status, [...(byStatus.get(exposed.status) ?? []), exposed.component]);
    byRemediation.set(exposed.remediation, [...(byRemediation.get(exposed.remediation) ?? []), exposed.component]);
  }
  return {
    advisory, asOf, withdrawn: judged.withdrawn, components,
    groups: [...byStatus.entries()].map(([status, list]) => ({ status, components: list })).sort((a, b) => severity(b.status) - severity(a.status)),
    byRemediation: REMEDIATION_ORDER.filter((state) => byRemediation.has(state)).map((state) => ({ state, components: byRemediation.get(state)! })),
  };
}

async function exposedComponents(ctx: RequestContext, advisoryId: string, matches: Match[], asOf: Date): Promise<ExposedComponentModel[]> {
  for (const { component } of matches) ctx.loaders.componentById.prime(component.id, component);
  const ids = matches.map((m) => m.component.id);
  const [statuses, records] = await Promise.all([
    effectiveStatusesAt(ctx, ids, asOf),
    ctx.loaders.remediationsAt(asOf).load(advisoryId),
  ]);
  const recordOf = new Map<string, GatewayRemediation>(records.map((r) => [r.gatewayId, r]));
  return matches.map(({ component, matchedBy }) => {
    const record = recordOf.get(component.id) ?? null;
    return { component, matchedBy, status: statuses.get(component.id)!, remediation: record?.state ?? 'EXPOSED', remediationRecord: record };
  });
}

/**
 * Whom a coordinator calls on a Friday night, per advisory in force at `asOf`: exposed (no record, or
 * EXPOSED), not switched off (no SWITCHED_OFF record, not in MAJOR_OUTAGE), and silent: its operator
 * reported no status since the advisory was published, and nobody recorded a remediation for it since.
 */
export async function callList(ctx: RequestContext, asOf: Date, advisoryGlobalId: string | null | undefined): Promise<AdvisoryCallListModel[]> {
  ctx.scope.requireRole('The call list', 'COORDINATOR');
  const advisories = advisoryGlobalId
    ? [await findAdvisory(ctx, advisoryGlobalId)].filter((a) => a.publishedAt.getTime() <= asOf.getTime())
    : await readable(ctx, await advisoryRepository.publishedUpTo(ctx.db, asOf));
  const lists: AdvisoryCallListModel[] = [];
  for (const advisory of advisories) {
    const { matches } = await ctx.loaders.exposureAt(asOf).load(advisory.id);
    const exposed = (await exposedComponents(ctx, advisory.id, matches, asOf))
      .filter((e) => e.remediation === 'EXPOSED' && e.status !== 'MAJOR_OUTAGE');
    const operators = [...new Set(exposed.map((e) => e.component.operatorId))];
    const [lastReported, remediated] = await Promise.all([
      advisoryRepository.lastReportedAt(ctx.db, operators, asOf),
      advisoryRepository.remediatedBetween(ctx.db, advisory.id, advisory.publishedAt, asOf),
    ]);
    const entries = exposed
      .map((e) => ({ exposed: e, lastReportedAt: lastReported.get(e.component.operatorId) ?? null }))
      .filter((entry) => !remediated.has(entry.exposed.component.id)
        && (entry.lastReportedAt === null || entry.lastReportedAt.getTime() < advisory.publishedAt.getTime()));
    lists.push({ advisory, entries });
  }
  return lists;
}

async function readable(ctx: RequestContext, advisories: Advisory[]): Promise<Advisory[]> {
  for (const advisory of advisories) ctx.unguarded.advisoryById.prime(advisory.id, advisory);
  const answers = await ctx.loaders.advisoryById.loadMany(advisories.map((a) => a.id));
  return advisories.filter((_, i) => !(answers[i] instanceof Error));
}

export async function remediationHistory(ctx: RequestContext, advisory: Advisory, gatewayGlobalId: string | null | undefined, asOf: Date): Promise<GatewayRemediation[]> {
  ctx.scope.requireOrganisation('Remediation records');
  const gatewayId = gatewayGlobalId ? idOf('Component', gatewayGlobalId, 'gatewayId') : null;
  const rows = await advisoryRepository.remediationHistory(ctx.db, advisory.id, gatewayId, asOf);
  if (ctx.scope.isCoordinator) return rows;
  const visible = await ctx.scope.wholeComponentIds();
  return rows.filter((row) => visible.has(row.gatewayId));
}
