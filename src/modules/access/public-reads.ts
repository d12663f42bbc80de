/**
 * Everything a caller without a token may ask for, field by field (README, "Access"; docs/access.md).
 * The gate (src/platform/admission.ts) refuses any other field from the public with UNAUTHENTICATED
 * before anything runs; the guarded loaders still decide row by row (which services are delivered,
 * which incidents and advisories are TLP:CLEAR). A field added to the schema is not public until it
 * is added here, and the access test walks the schema to check exactly this list.
 */
export const PUBLIC_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Query: ['municipality', 'incidents', 'incident', 'advisories', 'advisory', 'viewer', '_entities', '_service'],
  Subscription: ['statusChanged', 'maintenanceChanged'],
  Viewer: ['kind', 'role', 'organisation'],
  _Service: ['sdl'],

  // A municipality's availability: its services by name, their status, since when, and the open
  // incidents behind them that are TLP:CLEAR. Not the root cause, not the components behind it.
  Municipality: ['id', 'kind', 'name', 'cbsCode', 'website', 'services', 'maintenance'],
  MaintenanceNotice: ['title', 'publicText', 'startsAt', 'endsAt', 'services'],
  // Announced maintenance as it happens, in the public form only (not `window`).
  MaintenanceChange: ['cursor', 'action', 'notice', 'occurredAt'],
  ServiceAvailability: ['service', 'municipality', 'status', 'cause', 'since', 'stale', 'uptime', 'incidents'],
  Service: ['id', 'kind', 'name', 'audience'],
  StatusChange: ['cursor', 'component', 'municipality', 'municipalities', 'status', 'previousStatus', 'cause', 'since', 'stale', 'occurredAt'],
  // A component named by a TLP:CLEAR incident, or by a status change: the public reads only services, by name.
  Component: ['id', 'kind', 'name'],

  // Who speaks: the author of a CLEAR incident, update or advisory, by name.
  Organisation: ['id', 'kind', 'name'],
  Vendor: ['id', 'kind', 'name'],
  Coordinator: ['id', 'kind', 'name'],
  SharedServiceOrganisation: ['id', 'kind', 'name'],

  // TLP:CLEAR incidents and advisories, as published.
  Incident: ['id', 'title', 'state', 'severity', 'tlp', 'startedAt', 'expectedRestorationAt', 'resolvedAt', 'updates', 'affectedComponents', 'declaredBy', 'advisories'],
  IncidentUpdate: ['id', 'kind', 'state', 'message', 'postedAt', 'tlp', 'author', 'authorName', 'source', 'incident'],
  IncidentConnection: ['edges', 'pageInfo', 'totalCount'],
  IncidentEdge: ['cursor', 'node'],
  Advisory: [
    'id', 'reference', 'title', 'description', 'advice', 'cveIds', 'cvssScore', 'cvssVector', 'publishedAt', 'updatedAt',
    'publisher', 'tlp', 'affectedProducts', 'vulnerabilities', 'revision', 'revisions', 'withdrawnAt', 'withdrawalReason', 'source', 'csaf',
  ],
  AdvisoryConnection: ['edges', 'pageInfo', 'totalCount'],
  AdvisoryEdge: ['cursor', 'node'],
  AffectedProduct: ['productVendor', 'product', 'version', 'versionFrom', 'versionTo', 'versionRange', 'status', 'name', 'productId', 'cpe', 'purl', 'vulnerability'],
  AdvisoryVulnerability: ['cve', 'title', 'cvssScore', 'cvssVector'],
  AdvisoryRevision: ['number', 'releasedAt', 'summary', 'csafVersion'],
  CsafRevision: ['date', 'number', 'summary'],
  CsafSource: ['category', 'currentReleaseDate', 'document', 'namespace', 'publisherName', 'revisionHistory', 'status', 'trackingId', 'version'],
  PageInfo: ['hasNextPage', 'hasPreviousPage', 'startCursor', 'endCursor'],
};
