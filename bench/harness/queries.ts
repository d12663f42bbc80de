/** The GraphQL documents of the workloads, sent as-is to every contender that can answer them. */

export const W1_DASHBOARD = `query Dashboard($cbs: String!) {
  municipality(cbsCode: $cbs) {
    services { service { id name } status cause since rootCause { id name } }
  }
}`;

/** W1P: W1 as the public asks it (no token): what the public may select (src/modules/access/public-reads.ts). */
export const W1_PUBLIC_DASHBOARD = `query PublicDashboard($cbs: String!) {
  municipality(cbsCode: $cbs) {
    services { service { name } status cause since }
  }
}`;

/** Depth of W1 in object levels below Query (municipality → services → service/rootCause): the SQL-count target is depth + 1. */
export const W1_DEPTH = 3;

export const W2_NATIONAL_OVERVIEW = `query NationalOverview {
  nationalOverview {
    componentsByStatus { status count }
    gatewaysByProduct { vendor product version status count }
    residentsAffected
  }
}`;

export const W3_IMPACT = `query Impact($id: ID!) {
  impact(componentId: $id) {
    residentsAffected
    municipalities { cbsCode }
    affected { service { id } municipality { cbsCode } status }
  }
}`;

/** W3's selection with the status as a variable: W4's check on components others depend on. */
export const IMPACT_OF_STATUS = `query Impact($id: ID!, $status: ComponentStatus!) {
  impact(componentId: $id, status: $status) {
    residentsAffected
    municipalities { cbsCode }
    affected { service { id } municipality { cbsCode } status }
  }
}`;

export const W4_REPORT_STATUS = `mutation Report($input: ReportStatusInput!) {
  reportStatus(input: $input) { replayed current effectiveStatus { status } }
}`;

/**
 * W5's expectations: the what-if of the gateway's outage (MAJOR_OUTAGE) and of its recovery
 * (OPERATIONAL, today's picture). Named Impact, which is what the floor answers, with the status.
 */
export const W5_IMPACT = `query Impact($id: ID!, $status: ComponentStatus!) {
  impact(componentId: $id, status: $status) {
    affected { service { id } municipality { cbsCode } status }
  }
}`;

export const W5_STATUS_CHANGED = `subscription Changes($cbs: String!) {
  statusChanged(municipalityCbsCode: $cbs) { cursor component { id } status previousStatus }
}`;

/**
 * PostGraphile's W1-equivalent: the raw graph a client needs to compute the dashboard itself — the
 * municipality's services, their dependencies in force four levels deep (the generated graph's full
 * depth), and every status report of every component on the way (`since` needs the history). Shared
 * components repeat wherever the tree reaches them again: that, not the history, is what makes the
 * answer big (about 14 MB for a municipality with 230 services; 12 MB with only the newest reports).
 */
const COMPONENT = `rowId name statusReportsByComponentId(orderBy: [OBSERVED_AT_ASC, SEQ_ASC]) { nodes { status cause observedAt } }`;
function dependencies(depth: number): string {
  if (depth === 0) return '';
  return `dependenciesByComponentId(condition: { removedAt: null }) { nodes { kind redundancyGroup dependsOn: componentByDependsOnId { ${COMPONENT} ${dependencies(depth - 1)} } } }`;
}
export const W1_POSTGRAPHILE_DEPTH = 4;
export const W1_POSTGRAPHILE = `query Dashboard($cbs: String!) {
  municipality: organisationByCbsCode(cbsCode: $cbs) {
    serviceDeliveriesByMunicipalityId { nodes { service: componentByServiceId { ${COMPONENT} ${dependencies(W1_POSTGRAPHILE_DEPTH)} } } }
  }
}`;
