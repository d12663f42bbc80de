import fs from 'node:fs';
import path from 'node:path';
import { GraphQLObjectType } from 'graphql';
import { issueToken } from '../../src/modules/access';
import type { Role, Viewer } from '../../src/modules/access';
import { createSchema } from '../../src/schema';
import { loadDemoScenario } from '../../src/seed/demo-scenario';
import { factories } from '../helpers/factories';
import { GraphQLResult, TestApi } from '../helpers/api';
import { openTestDatabase, TestDatabase } from '../helpers/database';

/**
 * Every role × every root query and mutation × own and other tenant, on the 2020 picture.
 * `allowed`: answered without error. `denied`: FORBIDDEN (UNAUTHENTICATED for the public) and the
 * other tenant's data nowhere in the response. `hidden`: answered, but the other tenant's rows are
 * left out. A root field without a case fails the test, so a new field cannot skip the matrix.
 */
type Who = 'PUBLIC' | Role;
type Tenant = 'own' | 'other';
type Outcome = 'allowed' | 'denied' | 'hidden';

interface Target {
  component: { id: string; name: string };
  municipality: string;
  organisation: string;
  incident: string;
  /** Names that must not appear in a denied or hidden answer. */
  secrets: string[];
}

interface Case {
  field: string;
  name: string;
  query: string;
  variables: (t: Target, viewer: Viewer) => Promise<Record<string, unknown>> | Record<string, unknown>;
  /** For `hidden`: the answer must not contain the target; for `allowed`, it must. */
  contains?: (result: GraphQLResult, t: Target) => boolean;
  expect: Record<Who, [own: Outcome, other: Outcome]>;
}

let db: TestDatabase;
let api: TestApi;
const ids = new Map<string, string>();
const viewers = new Map<Who, Viewer>();
const targets = new Map<Who, Record<Tenant, Target>>();

const FRIDAY = '2020-01-17T18:00:00+01:00';
const everyone = (outcome: Outcome): Record<Who, [Outcome, Outcome]> =>
  ({ PUBLIC: [outcome, outcome], MUNICIPALITY: [outcome, outcome], OPERATOR: [outcome, outcome], VENDOR: [outcome, outcome], COORDINATOR: [outcome, outcome] });
const organisationsOnly = (own: Outcome, other: Outcome): Record<Who, [Outcome, Outcome]> =>
  ({ PUBLIC: ['denied', 'denied'], MUNICIPALITY: [own, other], OPERATOR: [own, other], VENDOR: [own, other], COORDINATOR: ['allowed', 'allowed'] });

/** Operators and vendors write their own components; coordinators any; municipalities and the public none. */
const writers: Record<Who, [Outcome, Outcome]> = {
  PUBLIC: ['denied', 'denied'], MUNICIPALITY: ['denied', 'denied'], OPERATOR: ['allowed', 'denied'], VENDOR: ['allowed', 'denied'], COORDINATOR: ['allowed', 'allowed'],
};
let currentWho: Who = 'PUBLIC';
const targetsOf = (tenant: Tenant) => targets.get(currentWho)![tenant];
const uuidOf = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1];
const globalId = (type: string, uuid: string) => Buffer.from(`${type}:${uuid}`).toString('base64url');

let freshCount = 0;
async function freshOrganisation(kind: 'MUNICIPALITY' | 'SHARED_SERVICE_ORGANISATION' | 'VENDOR'): Promise<string> {
  freshCount += 1;
  const [row] = await db.dataSource.query(
    `INSERT INTO organisation (kind, name, cbs_code, population) VALUES ($1, $2, $3, $4) RETURNING id`,
    [kind, `Matrix ${kind} ${freshCount}`, kind === 'MUNICIPALITY' ? `GM${5000 + freshCount}` : null, kind === 'MUNICIPALITY' ? 1000 : null],
  );
  return globalId('Organisation', row.id);
}
async function revisionOf(componentGlobalId: string): Promise<number> {
  return (await db.dataSource.query(`SELECT revision FROM component WHERE id = $1`, [uuidOf(componentGlobalId)]))[0].revision;
}
/** A component of the IBD: another organisation than every viewer's (NCSC is the coordinator viewer). */
async function freshInfrastructure(extra: { offered?: boolean } = {}): Promise<string> {
  const [ibd] = await db.dataSource.query(`SELECT id FROM organisation WHERE name LIKE 'IBD%'`);
  const row = await factories(db.dataSource.manager).component(ibd.id, 'INFRASTRUCTURE', { name: 'matrix infrastructure', ...extra });
  return globalId('Component', row.id);
}
function tilburgGateway(): string {
  return targets.get('MUNICIPALITY')!.other.component.id;
}
async function freshServiceOf(componentGlobalId: string): Promise<string> {
  const [owner] = await db.dataSource.query(`SELECT operator_id FROM component WHERE id = $1`, [uuidOf(componentGlobalId)]);
  const row = await factories(db.dataSource.manager).component(owner.operator_id, 'SERVICE', { name: 'matrix service' });
  return globalId('Component', row.id);
}
/**
 * A pending request: a dependency of a fresh component of one organisation on a fresh component of
 * another. `awaiting` or `requestedBy` names the viewer's side; the other side (or both) is a fresh vendor.
 */
async function freshRequest(sides: { awaiting?: string | null; requestedBy?: string | null }): Promise<string> {
  const vendor = async () => uuidOf(await freshOrganisation('VENDOR'));
  const asker = sides.requestedBy ? uuidOf(sides.requestedBy) : await vendor();
  const asked = sides.awaiting ? uuidOf(sides.awaiting) : await vendor();
  const make = factories(db.dataSource.manager);
  const [component, dependsOn] = [await make.component(asker, 'INFRASTRUCTURE'), await make.component(asked, 'INFRASTRUCTURE')];
  const [row] = await db.dataSource.query(
    `INSERT INTO relation_request (kind, requested_by_id, awaiting_id, requested_at, component_id, depends_on_id, dependency_kind)
     VALUES ('DEPENDENCY', $1, $2, now(), $3, $4, 'OPTIONAL') RETURNING id`,
    [asker, asked, component.id, dependsOn.id],
  );
  return globalId('RelationRequest', row.id);
}
async function freshMembershipOf(partyGlobalId: string | null): Promise<string> {
  const party = partyGlobalId === null ? null : uuidOf(partyGlobalId);
  const [row] = party === null ? [null] : await db.dataSource.query(`SELECT kind FROM organisation WHERE id = $1`, [party]);
  const sso = row?.kind === 'SHARED_SERVICE_ORGANISATION' ? party : uuidOf(await freshOrganisation('SHARED_SERVICE_ORGANISATION'));
  const municipality = row?.kind === 'MUNICIPALITY' ? party : uuidOf(await freshOrganisation('MUNICIPALITY'));
  const [membership] = await db.dataSource.query(
    `INSERT INTO membership (shared_service_organisation_id, municipality_id, starts_on) VALUES ($1, $2, '2020-01-01') RETURNING id`, [sso, municipality]);
  return globalId('Membership', membership.id);
}
async function freshComponentOf(componentGlobalId: string): Promise<string> {
  const [owner] = await db.dataSource.query(`SELECT operator_id FROM component WHERE id = $1`, [uuidOf(componentGlobalId)]);
  const row = await factories(db.dataSource.manager).component(owner.operator_id, 'INFRASTRUCTURE', { name: 'matrix retiree' });
  return globalId('Component', row.id);
}
async function freshDependencyOf(componentGlobalId: string): Promise<string> {
  const on = uuidOf(await freshInfrastructure());
  const id = await factories(db.dataSource.manager).dependency(uuidOf(componentGlobalId), on, 'OPTIONAL');
  return globalId('Dependency', id);
}
/** A maintenance window tomorrow on the component, written around the picture (it begins after every case has run). */
async function freshWindowOn(componentGlobalId: string): Promise<string> {
  const component = uuidOf(componentGlobalId);
  const [row] = await db.dataSource.query(
    `INSERT INTO maintenance_window (operator_id, title, starts_at, ends_at) SELECT operator_id, 'matrix', now() + interval '1 day', now() + interval '2 days' FROM component WHERE id = $1 RETURNING id`,
    [component],
  );
  await db.dataSource.query(`INSERT INTO maintenance_component (maintenance_id, component_id) VALUES ($1, $2)`, [row.id, component]);
  return globalId('MaintenanceWindow', row.id);
}
async function freshIncidentOn(componentGlobalId: string): Promise<string> {
  const component = uuidOf(componentGlobalId);
  const [row] = await db.dataSource.query(
    `INSERT INTO incident (title, severity, state, declared_by_id, started_at) SELECT 'matrix', 'MINOR', 'INVESTIGATING', operator_id, now() FROM component WHERE id = $1 RETURNING id`,
    [component],
  );
  await db.dataSource.query(`INSERT INTO incident_component (incident_id, component_id) VALUES ($1, $2)`, [row.id, component]);
  return globalId('Incident', row.id);
}

const cases: Case[] = [
  { field: 'viewer', name: 'who am I', query: `{ viewer { kind role } }`, variables: () => ({}), expect: everyone('allowed') },
  {
    field: 'node', name: 'a component by global id', query: `query($id: ID!) { node(id: $id) { id ... on Component { name } } }`,
    variables: (t) => ({ id: t.component.id }), expect: organisationsOnly('allowed', 'denied'),
  },
  {
    // A federation gateway's way to the same entities (src/federation.resolvers.ts): exactly as node(id:).
    field: '_entities', name: 'a component as a federated entity',
    query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on Component { id name } } }`,
    variables: (t) => ({ r: [{ __typename: 'Component', id: t.component.id }] }), expect: organisationsOnly('allowed', 'denied'),
  },
  {
    field: '_entities', name: 'an incident as a federated entity',
    query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on Incident { title } } }`,
    variables: (t) => ({ r: [{ __typename: 'Incident', id: t.incident }] }), expect: organisationsOnly('allowed', 'denied'),
  },
  {
    field: '_entities', name: 'a municipality by its CBS code as a federated entity (public, like municipality(cbsCode:))',
    query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on Municipality { name services(asOf: "${FRIDAY}") { status } } } }`,
    variables: (t) => ({ r: [{ __typename: 'Municipality', cbsCode: t.municipality }] }), expect: everyone('allowed'),
  },
  {
    field: '_service', name: 'the subgraph’s SDL (refused in production, like introspection)', query: `{ _service { sdl } }`,
    variables: () => ({}), expect: everyone('allowed'),
  },
  {
    // The public reads organisations only as the authors of what it may read (README, "Access").
    field: 'organisation', name: 'an organisation by id', query: `query($id: ID) { organisation(id: $id) { name } }`,
    variables: (t) => ({ id: t.organisation }), expect: organisationsOnly('allowed', 'allowed'),
  },
  {
    field: 'organisation', name: 'a vendor’s customers', query: `query($id: ID) { organisation(id: $id) { name ... on Vendor { customers { cbsCode } } } }`,
    variables: () => ({ id: ids.get('centric') }),
    expect: { PUBLIC: ['denied', 'denied'], MUNICIPALITY: ['denied', 'denied'], OPERATOR: ['denied', 'denied'], VENDOR: ['allowed', 'allowed'], COORDINATOR: ['allowed', 'allowed'] },
  },
  { field: 'organisations', name: 'the organisation list', query: `{ organisations { totalCount } }`, variables: () => ({}), expect: organisationsOnly('allowed', 'allowed') },
  {
    field: 'municipality', name: 'service availability (public)', query: `query($cbs: String!) { municipality(cbsCode: $cbs) { name services(asOf: "${FRIDAY}") { service { name } status cause since } } }`,
    variables: (t) => ({ cbs: t.municipality }), expect: everyone('allowed'),
  },
  {
    // The path ends where the reader's picture ends: another tenant's gateway is never named.
    field: 'municipality', name: 'the root cause behind availability', query: `query($cbs: String!) { municipality(cbsCode: $cbs) { services(asOf: "${FRIDAY}") { status rootCause { name } } } }`,
    variables: (t) => ({ cbs: t.municipality }), contains: (r, t) => JSON.stringify(r.data).includes(t.component.name),
    expect: { PUBLIC: ['denied', 'denied'], MUNICIPALITY: ['allowed', 'hidden'], OPERATOR: ['allowed', 'hidden'], VENDOR: ['allowed', 'hidden'], COORDINATOR: ['allowed', 'allowed'] },
  },
  {
    field: 'component', name: 'a component with its status', query: `query($id: ID!) { component(id: $id) { name reportedStatus { status } effectiveStatus(asOf: "${FRIDAY}") { status rootCause { name } } dependents { component { name } } } }`,
    variables: (t) => ({ id: t.component.id }), expect: organisationsOnly('allowed', 'denied'),
  },
  {
    field: 'components', name: 'the component list', query: `query($s: String) { components(filter: { search: $s }) { totalCount edges { node { id name } } } }`,
    variables: (t) => ({ s: t.component.name }), contains: (r, t) => JSON.stringify(r.data).includes(t.component.id),
    expect: organisationsOnly('allowed', 'hidden'),
  },
  {
    field: 'impact', name: 'a what-if', query: `query($id: ID!) { impact(componentId: $id) { residentsAffected affected { service { name } } } }`,
    variables: (t) => ({ id: t.component.id }),
    // Every organisation may ask about what lies in its own picture (README, "Access"); nobody about the rest.
    expect: organisationsOnly('allowed', 'denied'),
  },
  {
    field: 'incidents', name: 'the incident list', query: `{ incidents(first: 200) { totalCount edges { node { id title } } } }`,
    variables: () => ({}), contains: (r, t) => JSON.stringify(r.data).includes(t.incident),
    // The public reads CLEAR incidents only; the demo's are AMBER.
    expect: { ...organisationsOnly('allowed', 'hidden'), PUBLIC: ['hidden', 'hidden'] },
  },
  {
    field: 'incident', name: 'an incident with its timeline', query: `query($id: ID!) { incident(id: $id) { title updates { message author { name } } affectedComponents { name } } }`,
    variables: (t) => ({ id: t.incident }), expect: organisationsOnly('allowed', 'denied'),
  },
  {
    field: 'advisories', name: 'the advisory list', query: `{ advisories(first: 200) { totalCount edges { node { id reference cvssScore } } } }`,
    variables: () => ({}), contains: (r) => JSON.stringify(r.data).includes(ids.get('advisory')!),
    // The public reads CLEAR advisories only; the demo's is GREEN.
    expect: { ...organisationsOnly('allowed', 'allowed'), PUBLIC: ['hidden', 'hidden'] },
  },
  {
    field: 'advisory', name: 'exposure to an advisory', query: `query($id: ID!) { advisory(id: $id) { reference exposure(asOf: "${FRIDAY}") { byStatus { gateways { id name } } } } }`,
    variables: () => ({ id: ids.get('advisory') }), contains: (r, t) => JSON.stringify(r.data).includes(t.component.id),
    expect: organisationsOnly('allowed', 'hidden'),
  },
  {
    field: 'nationalOverview', name: 'the national overview', query: `{ nationalOverview(asOf: "${FRIDAY}") { residentsAffected silentOrganisations { name } } }`,
    variables: () => ({}), expect: { ...organisationsOnly('denied', 'denied'), COORDINATOR: ['allowed', 'allowed'] },
  },
  {
    field: 'issueAccessToken', name: 'issuing a token', query: `mutation($org: ID!) { issueAccessToken(input: { organisationId: $org, role: OPERATOR, label: "matrix" }) { token accessToken { role } } }`,
    variables: () => ({ org: ids.get('hltsamen') }), expect: { ...organisationsOnly('denied', 'denied'), COORDINATOR: ['allowed', 'allowed'] },
  },
  {
    field: 'reportStatus', name: 'reporting a status',
    query: `mutation($input: ReportStatusInput!) { reportStatus(input: $input) { statusReport { status } effectiveStatus { status } } }`,
    // Observed in the quiet weeks before the advisory, so the Friday-evening picture other cases read stays as it was.
    variables: (t) => ({ input: { componentId: t.component.id, status: 'OPERATIONAL', observedAt: '2019-12-02T00:00:00+01:00', idempotencyKey: `matrix-${Math.random()}` } }),
    expect: { PUBLIC: ['denied', 'denied'], MUNICIPALITY: ['denied', 'denied'], OPERATOR: ['allowed', 'denied'], VENDOR: ['allowed', 'denied'], COORDINATOR: ['allowed', 'allowed'] },
  },
  {
    field: 'reportStatuses', name: 'reporting statuses in a batch',
    query: `mutation($input: ReportStatusesInput!) { reportStatuses(input: $input) { accepted refused results { outcome error { code } } } }`,
    variables: (t) => ({ input: { reports: [{ componentId: t.component.id, status: 'OPERATIONAL', observedAt: '2019-12-02T00:00:00+01:00', idempotencyKey: `matrix-${Math.random()}` }] } }),
    // Another's component is refused report by report (FORBIDDEN in its result), not the batch.
    contains: (r) => (r.data as { reportStatuses?: { accepted: number } } | null)?.reportStatuses?.accepted === 1,
    expect: { PUBLIC: ['denied', 'denied'], MUNICIPALITY: ['denied', 'denied'], OPERATOR: ['allowed', 'hidden'], VENDOR: ['allowed', 'hidden'], COORDINATOR: ['allowed', 'allowed'] },
  },
  {
    field: 'componentByExternalRef', name: 'a component by its operator\'s own name',
    query: `query($op: ID) { componentByExternalRef(externalRef: "matrix-none", operatorId: $op) { id } }`,
    variables: (t) => ({ op: t.organisation }), expect: organisationsOnly('allowed', 'denied'),
  },
  {
    field: 'maintenance', name: 'the maintenance list',
    query: `query($id: ID!) { maintenance(componentIds: [$id]) { edges { node { title components { name } } } } }`,
    variables: async (t) => {
      await freshWindowOn(t.component.id);
      return { id: t.component.id };
    },
    contains: (r, t) => JSON.stringify(r.data ?? null).includes(t.component.name),
    expect: organisationsOnly('allowed', 'hidden'),
  },
  {
    field: 'scheduleMaintenance', name: 'scheduling maintenance',
    query: `mutation($id: ID!, $from: DateTime!, $until: DateTime!) { scheduleMaintenance(input: { componentIds: [$id], title: "matrix", startsAt: $from, endsAt: $until }) { maintenanceWindow { id } } }`,
    variables: async (t) => ({ id: await freshComponentOf(t.component.id), from: new Date(Date.now() + 86_400_000).toISOString(), until: new Date(Date.now() + 2 * 86_400_000).toISOString() }),
    expect: writers,
  },
  {
    field: 'updateMaintenance', name: 'changing maintenance',
    query: `mutation($id: ID!) { updateMaintenance(input: { maintenanceId: $id, revision: 1, title: "matrix, later" }) { maintenanceWindow { revision } } }`,
    variables: async (t) => ({ id: await freshWindowOn(await freshComponentOf(t.component.id)) }), expect: writers,
  },
  {
    field: 'cancelMaintenance', name: 'cancelling maintenance',
    query: `mutation($id: ID!) { cancelMaintenance(input: { maintenanceId: $id }) { maintenanceWindow { state } } }`,
    variables: async (t) => ({ id: await freshWindowOn(await freshComponentOf(t.component.id)) }), expect: writers,
  },
  {
    field: 'auditTrail', name: 'the audit trail', query: `{ auditTrail(first: 5) { totalCount edges { node { operation } } } }`,
    variables: () => ({}), expect: { ...organisationsOnly('denied', 'denied'), COORDINATOR: ['allowed', 'allowed'] },
  },
  {
    field: 'registerOrganisation', name: 'registering an organisation',
    query: `mutation($name: String!) { registerOrganisation(input: { kind: VENDOR, name: $name }) { organisation { id } } }`,
    variables: () => ({ name: `Vendor ${Math.random()}` }), expect: { ...organisationsOnly('denied', 'denied'), COORDINATOR: ['allowed', 'allowed'] },
  },
  {
    field: 'addMembership', name: 'adding a membership',
    query: `mutation($sso: ID!, $m: ID!) { addMembership(input: { sharedServiceOrganisationId: $sso, municipalityId: $m, startsOn: "2021-01-01" }) { membership { startsOn } } }`,
    variables: async (t) => ({ sso: t === targetsOf('own') ? ids.get('hltsamen') : await freshOrganisation('SHARED_SERVICE_ORGANISATION'), m: await freshOrganisation('MUNICIPALITY') }),
    // A membership opens the municipality's picture: the parties ask each other (requestMembership).
    expect: { ...organisationsOnly('denied', 'denied'), COORDINATOR: ['allowed', 'allowed'] },
  },
  {
    field: 'endMembership', name: 'ending a membership',
    query: `mutation($id: ID!) { endMembership(input: { membershipId: $id }) { membership { endsOn } } }`,
    // Own: a membership the target organisation is a party to (where it can be one); other: one between strangers.
    variables: async (t) => ({ id: await freshMembershipOf(t === targetsOf('own') ? t.organisation : null) }),
    expect: { PUBLIC: ['denied', 'denied'], MUNICIPALITY: ['allowed', 'denied'], OPERATOR: ['allowed', 'denied'], VENDOR: ['denied', 'denied'], COORDINATOR: ['allowed', 'allowed'] },
  },
  {
    field: 'registerComponent', name: 'registering a component',
    query: `mutation($op: ID) { registerComponent(input: { kind: APPLICATION, name: "matrix application", operatorId: $op }) { component { id } } }`,
    variables: (t, viewer) => ({ op: t.organisation === ids.get('tilburg') || viewer.kind === 'public' ? ids.get('tilburg') : null }),
    expect: { PUBLIC: ['denied', 'denied'], MUNICIPALITY: ['denied', 'denied'], OPERATOR: ['allowed', 'denied'], VENDOR: ['allowed', 'denied'], COORDINATOR: ['allowed', 'allowed'] },
  },
  {
    field: 'updateComponent', name: 'changing a component',
    query: `mutation($id: ID!, $revision: Int!) { updateComponent(input: { componentId: $id, revision: $revision, description: "matrix" }) { component { revision } } }`,
    variables: async (t) => ({ id: t.component.id, revision: await revisionOf(t.component.id) }), expect: writers,
  },
  {
    field: 'addDependency', name: 'adding a dependency on a component of the same operator',
    query: `mutation($id: ID!, $on: ID!) { addDependency(input: { componentId: $id, dependsOnId: $on, kind: OPTIONAL }) { dependency { id } } }`,
    variables: async (t) => ({ id: t.component.id, on: await freshComponentOf(t.component.id) }), expect: writers,
  },
  {
    field: 'addDependency', name: 'depending on another organisation’s component that is not offered',
    query: `mutation($id: ID!, $on: ID!) { addDependency(input: { componentId: $id, dependsOnId: $on, kind: OPTIONAL }) { dependency { id } } }`,
    variables: async (t) => ({ id: t.component.id, on: await freshInfrastructure() }),
    expect: { ...organisationsOnly('denied', 'denied'), COORDINATOR: ['allowed', 'allowed'] },
  },
  {
    field: 'addDependency', name: 'depending on another organisation’s offered component',
    query: `mutation($id: ID!, $on: ID!) { addDependency(input: { componentId: $id, dependsOnId: $on, kind: OPTIONAL }) { dependency { id } } }`,
    variables: async (t) => ({ id: t.component.id, on: await freshInfrastructure({ offered: true }) }), expect: writers,
  },
  {
    // Own: the viewer's organisation delivering to Tilburg, which never consented; other: Tilburg's own write.
    field: 'registerComponent', name: 'delivering a new service to a municipality that has not consented',
    query: `mutation($op: ID, $m: ID!) { registerComponent(input: { kind: SERVICE, name: "Data breach: stay away", audience: RESIDENTS, operatorId: $op, deliveredTo: [$m] }) { component { id } } }`,
    variables: (t, viewer) => ({ op: t.organisation === ids.get('tilburg') || viewer.kind === 'public' ? ids.get('tilburg') : null, m: ids.get('tilburg') }),
    expect: { ...organisationsOnly('denied', 'denied'), COORDINATOR: ['allowed', 'allowed'] },
  },
  {
    field: 'updateComponent', name: 'delivering a service to a municipality that has not consented',
    query: `mutation($id: ID!, $revision: Int!, $m: ID!) { updateComponent(input: { componentId: $id, revision: $revision, deliveredTo: [$m] }) { component { revision } } }`,
    variables: async (t) => {
      const service = await freshServiceOf(t.component.id);
      return { id: service, revision: await revisionOf(service), m: t.organisation === ids.get('tilburg') ? await freshOrganisation('MUNICIPALITY') : ids.get('tilburg') };
    },
    expect: { ...organisationsOnly('denied', 'denied'), COORDINATOR: ['allowed', 'allowed'] },
  },
  {
    field: 'relationRequests', name: 'the relation requests one made or awaits',
    query: `{ relationRequests(first: 200) { totalCount edges { node { id kind state } } } }`,
    variables: () => ({}), expect: organisationsOnly('allowed', 'allowed'),
  },
  {
    // Own: the viewer's component asks for Tilburg's gateway; other: Tilburg's component asks for a stranger's.
    field: 'requestDependency', name: 'asking to depend on another organisation’s component',
    query: `mutation($id: ID!, $on: ID!) { requestDependency(input: { componentId: $id, dependsOnId: $on, kind: OPTIONAL, note: "matrix" }) { request { state } } }`,
    variables: async (t) => ({ id: t.component.id, on: t.organisation === ids.get('tilburg') ? await freshInfrastructure() : tilburgGateway() }),
    expect: writers,
  },
  {
    field: 'requestDelivery', name: 'asking a municipality to take a service',
    query: `mutation($id: ID!, $m: ID!) { requestDelivery(input: { serviceId: $id, municipalityId: $m }) { request { state } } }`,
    variables: async (t) => ({ id: await freshServiceOf(t.component.id), m: t.organisation === ids.get('tilburg') ? await freshOrganisation('MUNICIPALITY') : ids.get('tilburg') }),
    expect: writers,
  },
  {
    // Own: the viewer's organisation is a party where it can be one; other: strangers.
    field: 'requestMembership', name: 'asking for a membership',
    query: `mutation($sso: ID!, $m: ID!) { requestMembership(input: { sharedServiceOrganisationId: $sso, municipalityId: $m, startsOn: "2030-01-01" }) { request { state awaiting { name } } } }`,
    variables: async (t, viewer) => {
      const own = t === targetsOf('own') && viewer.kind === 'organisation';
      const party = own ? (await db.dataSource.query(`SELECT kind FROM organisation WHERE id = $1`, [uuidOf(t.organisation)]))[0].kind : null;
      return {
        sso: party === 'SHARED_SERVICE_ORGANISATION' ? t.organisation : await freshOrganisation('SHARED_SERVICE_ORGANISATION'),
        m: party === 'MUNICIPALITY' ? t.organisation : await freshOrganisation('MUNICIPALITY'),
      };
    },
    expect: { PUBLIC: ['denied', 'denied'], MUNICIPALITY: ['allowed', 'denied'], OPERATOR: ['allowed', 'denied'], VENDOR: ['denied', 'denied'], COORDINATOR: ['allowed', 'allowed'] },
  },
  {
    // Own: a request that awaits the viewer's organisation; other: one between strangers.
    field: 'acceptRelationRequest', name: 'accepting a relation request',
    query: `mutation($id: ID!) { acceptRelationRequest(input: { requestId: $id }) { request { state } } }`,
    variables: async (t) => ({ id: await freshRequest({ awaiting: t === targetsOf('own') ? t.organisation : null }) }),
    expect: organisationsOnly('allowed', 'denied'),
  },
  {
    field: 'declineRelationRequest', name: 'declining a relation request',
    query: `mutation($id: ID!) { declineRelationRequest(input: { requestId: $id, note: "no" }) { request { state } } }`,
    variables: async (t) => ({ id: await freshRequest({ awaiting: t === targetsOf('own') ? t.organisation : null }) }),
    expect: organisationsOnly('allowed', 'denied'),
  },
  {
    // Own: a request the viewer's organisation made; other: one between strangers.
    field: 'withdrawRelationRequest', name: 'withdrawing a relation request',
    query: `mutation($id: ID!) { withdrawRelationRequest(input: { requestId: $id }) { request { state } } }`,
    variables: async (t) => ({ id: await freshRequest({ requestedBy: t === targetsOf('own') ? t.organisation : null }) }),
    expect: organisationsOnly('allowed', 'denied'),
  },
  {
    field: 'retireComponent', name: 'retiring a component',
    query: `mutation($id: ID!) { retireComponent(input: { componentId: $id }) { component { retiredAt } } }`,
    // A component of the target's operator made for the case: the target itself must stay for the other cases.
    variables: async (t) => ({ id: await freshComponentOf(t.component.id) }), expect: writers,
  },
  {
    field: 'removeDependency', name: 'removing a dependency',
    query: `mutation($id: ID!) { removeDependency(input: { dependencyId: $id }) { dependency { removedAt } } }`,
    variables: async (t) => ({ id: await freshDependencyOf(t.component.id) }), expect: writers,
  },
  {
    field: 'declareIncident', name: 'declaring an incident',
    query: `mutation($id: ID!) { declareIncident(input: { title: "matrix", severity: MINOR, affectedComponentIds: [$id], message: "matrix" }) { incident { id } } }`,
    variables: (t) => ({ id: t.component.id }), expect: writers,
  },
  {
    field: 'postIncidentUpdate', name: 'posting an incident update',
    query: `mutation($id: ID!) { postIncidentUpdate(input: { incidentId: $id, message: "matrix" }) { update { message } } }`,
    variables: async (t) => ({ id: await freshIncidentOn(t.component.id) }), expect: writers,
  },
  {
    field: 'resolveIncident', name: 'resolving an incident',
    query: `mutation($id: ID!) { resolveIncident(input: { incidentId: $id, message: "matrix" }) { incident { state } } }`,
    variables: async (t) => ({ id: await freshIncidentOn(t.component.id) }), expect: writers,
  },
  {
    field: 'issueClearance', name: 'issuing a clearance',
    query: `mutation($id: ID!) { issueClearance(input: { incidentId: $id, message: "green light" }) { update { kind } } }`,
    variables: async (t) => ({ id: await freshIncidentOn(t.component.id) }),
    expect: { PUBLIC: ['denied', 'denied'], MUNICIPALITY: ['denied', 'denied'], OPERATOR: ['denied', 'denied'], VENDOR: ['allowed', 'denied'], COORDINATOR: ['allowed', 'allowed'] },
  },
  {
    field: 'publishAdvisory', name: 'publishing an advisory',
    query: `mutation($ref: String!) { publishAdvisory(input: { reference: $ref, title: "matrix", advice: PATCH, affectedProducts: [{ productVendor: "Citrix", product: "ADC" }] }) { advisory { id } } }`,
    variables: () => ({ ref: `MATRIX-${Math.random()}` }), expect: { ...organisationsOnly('denied', 'denied'), COORDINATOR: ['allowed', 'allowed'] },
  },
  {
    field: 'updateIncident', name: 'changing an incident’s expected restoration',
    query: `mutation($id: ID!) { updateIncident(input: { incidentId: $id, expectedRestorationAt: "2030-01-01T00:00:00Z" }) { changed incident { expectedRestorationAt } } }`,
    variables: async (t) => ({ id: await freshIncidentOn(t.component.id) }), expect: writers,
  },
  {
    field: 'updateIncident', name: 'naming another organisation’s component in one’s own incident',
    query: `mutation($id: ID!, $c: [ID!]!) { updateIncident(input: { incidentId: $id, affectedComponentIds: $c }) { changed } }`,
    variables: async (t) => {
      const own = targetsOf('own').component.id;
      return { id: await freshIncidentOn(own), c: [own, t.component.id] };
    },
    expect: writers,
  },
  {
    field: 'acknowledgeIncident', name: 'acknowledging an incident',
    query: `mutation($id: ID!) { acknowledgeIncident(input: { incidentId: $id, message: "seen" }) { update { kind } } }`,
    variables: async (t) => ({ id: await freshIncidentOn(t.component.id) }),
    expect: { PUBLIC: ['denied', 'denied'], MUNICIPALITY: ['allowed', 'denied'], OPERATOR: ['denied', 'denied'], VENDOR: ['denied', 'denied'], COORDINATOR: ['denied', 'denied'] },
  },
  {
    field: 'importCsafAdvisory', name: 'importing a CSAF advisory',
    query: `mutation($doc: String!) { importCsafAdvisory(input: { document: $doc }) { outcome advisory { id } } }`,
    variables: () => ({ doc: csafDocument(`MATRIX-${Math.random()}`) }), expect: { ...organisationsOnly('denied', 'denied'), COORDINATOR: ['allowed', 'allowed'] },
  },
  {
    // The other tenant's advisory is RED for Tilburg only: not even a coordinator may change what it cannot read.
    field: 'updateAdvisory', name: 'changing an advisory',
    query: `mutation($id: ID!) { updateAdvisory(input: { advisoryId: $id, revision: 1, advice: MITIGATE }) { changed advisory { advice } } }`,
    variables: async (t) => ({ id: await freshAdvisory(t) }), expect: { ...organisationsOnly('denied', 'denied'), COORDINATOR: ['allowed', 'denied'] },
  },
  {
    field: 'withdrawAdvisory', name: 'withdrawing an advisory',
    query: `mutation($id: ID!) { withdrawAdvisory(input: { advisoryId: $id, reason: "matrix" }) { advisory { withdrawnAt } } }`,
    variables: async (t) => ({ id: await freshAdvisory(t) }), expect: { ...organisationsOnly('denied', 'denied'), COORDINATOR: ['allowed', 'denied'] },
  },
  {
    field: 'recordRemediation', name: 'recording a gateway’s remediation',
    query: `mutation($a: ID!, $g: ID!) { recordRemediation(input: { advisoryId: $a, gatewayId: $g, state: MITIGATED, note: "matrix", observedAt: "2019-12-02T00:00:00+01:00" }) { remediation { state } } }`,
    variables: (t) => ({ a: ids.get('advisory'), g: t.component.id }), expect: writers,
  },
  {
    field: 'webhookEndpoints', name: 'the webhook endpoints', query: `{ webhookEndpoints(first: 200) { totalCount edges { node { url deliveries { totalCount } } } } }`,
    variables: async (t) => {
      await freshWebhookEndpointOf(t.organisation);
      return {};
    },
    contains: (result, t) => JSON.stringify(result.data).includes(webhookUrlOf(t.organisation)),
    expect: { PUBLIC: ['denied', 'denied'], MUNICIPALITY: ['allowed', 'hidden'], OPERATOR: ['allowed', 'hidden'], VENDOR: ['allowed', 'hidden'], COORDINATOR: ['allowed', 'hidden'] },
  },
  {
    field: 'createWebhookEndpoint', name: 'registering a webhook endpoint on a component',
    query: `mutation($id: ID!) { createWebhookEndpoint(input: { url: "https://93.184.215.14/matrix", filter: { componentIds: [$id] } }) { secret webhookEndpoint { filter { kinds } } } }`,
    variables: (t) => ({ id: t.component.id }), expect: organisationsOnly('allowed', 'denied'),
  },
  ...([
    ['updateWebhookEndpoint', 'changing a webhook endpoint', 'updateWebhookEndpoint(input: { id: $id, description: "matrix" }) { webhookEndpoint { description } }'],
    ['rotateWebhookSecret', 'rotating a webhook secret', 'rotateWebhookSecret(input: { id: $id }) { secret }'],
    ['disableWebhookEndpoint', 'disabling a webhook endpoint', 'disableWebhookEndpoint(input: { id: $id }) { webhookEndpoint { enabled } }'],
    ['enableWebhookEndpoint', 'enabling a webhook endpoint', 'enableWebhookEndpoint(input: { id: $id }) { webhookEndpoint { enabled } }'],
    ['deleteWebhookEndpoint', 'deleting a webhook endpoint', 'deleteWebhookEndpoint(input: { id: $id }) { deletedId }'],
  ] as const).map(([field, name, mutation]): Case => ({
    field, name, query: `mutation($id: ID!) { ${mutation} }`,
    // An organisation's endpoints are its own alone: a coordinator does not manage another's either.
    variables: async (t) => ({ id: await freshWebhookEndpointOf(t.organisation) }), expect: { ...organisationsOnly('allowed', 'denied'), COORDINATOR: ['allowed', 'denied'] },
  })),
  {
    field: 'redeliverWebhook', name: 'redelivering a webhook', query: `mutation($id: ID!) { redeliverWebhook(input: { deliveryId: $id }) { delivery { state } } }`,
    variables: async (t) => ({ id: await freshWebhookDeliveryOf(t.organisation) }), expect: { ...organisationsOnly('allowed', 'denied'), COORDINATOR: ['allowed', 'denied'] },
  },
  {
    field: 'revokeAccessToken', name: 'revoking a token', query: `mutation($id: ID!) { revokeAccessToken(input: { tokenId: $id }) { accessToken { revokedAt } } }`,
    variables: async (t) => ({ id: await freshTokenOf(t.organisation) }), expect: organisationsOnly('allowed', 'denied'),
  },
];

/** The BSI example advisory under another tracking id, so every import is a new advisory. */
function csafDocument(trackingId: string): string {
  const document = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/csaf/bsi-2022-0001.json'), 'utf8'));
  document.document.tracking.id = trackingId;
  return JSON.stringify(document);
}

/** An advisory by the IBD: GREEN for the own tenant, RED for Tilburg alone for the other. */
async function freshAdvisory(t: Target): Promise<string> {
  const red = t.organisation === ids.get('tilburg');
  const [row] = await db.dataSource.query(
    `INSERT INTO advisory (reference, title, publisher_id, published_at, advice, tlp)
     SELECT $1, 'matrix', id, now(), 'PATCH', $2 FROM organisation WHERE name LIKE 'IBD%' RETURNING id`,
    [`MATRIX-${Math.random()}`, red ? 'RED' : 'GREEN'],
  );
  if (red) await db.dataSource.query(`INSERT INTO tlp_recipient (subject_type, subject_id, organisation_id) VALUES ('Advisory', $1, $2)`, [row.id, uuidOf(ids.get('tilburg')!)]);
  return globalId('Advisory', row.id);
}

const webhookUrlOf = (organisationGlobalId: string) => `https://93.184.215.14/matrix/${uuidOf(organisationGlobalId)}`;

/** An endpoint of the organisation, as its OPERATOR token would register it. */
async function freshWebhookEndpointOf(organisationGlobalId: string): Promise<string> {
  const [row] = await db.dataSource.query(
    `INSERT INTO webhook_endpoint (owner_id, owner_role, url, secret, from_seq, created_at, updated_at)
     VALUES ($1, 'OPERATOR', $2, 'whsec_bWF0cml4', 0, now(), now()) RETURNING id`,
    [uuidOf(organisationGlobalId), webhookUrlOf(organisationGlobalId)],
  );
  return globalId('WebhookEndpoint', row.id);
}

/** A delivered message to a fresh endpoint of the organisation. */
async function freshWebhookDeliveryOf(organisationGlobalId: string): Promise<string> {
  const endpointId = uuidOf(await freshWebhookEndpointOf(organisationGlobalId));
  const [row] = await db.dataSource.query(
    `INSERT INTO webhook_delivery (endpoint_id, message_id, event_seq, event_type, event_at, payload, state, attempts, created_at, delivered_at)
     VALUES ($1, 'msg_matrix', 1, 'status.changed', now(), '{}', 'DELIVERED', 1, now(), now()) RETURNING id`,
    [endpointId],
  );
  return globalId('WebhookDelivery', row.id);
}

async function freshTokenOf(organisationGlobalId: string): Promise<string> {
  const organisationId = Buffer.from(organisationGlobalId, 'base64url').toString().split(':')[1];
  const kind: { kind: string }[] = await db.dataSource.query('SELECT kind FROM organisation WHERE id = $1', [organisationId]);
  const role: Role = kind[0].kind === 'COORDINATOR' ? 'COORDINATOR' : kind[0].kind === 'VENDOR' ? 'VENDOR' : kind[0].kind === 'MUNICIPALITY' ? 'MUNICIPALITY' : 'OPERATOR';
  const issued = await db.dataSource.transaction((tx) => issueToken(tx, { organisationId, role, expiresInDays: 1, label: 'matrix', issuedByTokenId: null }));
  return Buffer.from(`AccessToken:${issued.token.id}`).toString('base64url');
}

beforeAll(async () => {
  db = await openTestDatabase();
  await db.dataSource.transaction((manager) => loadDemoScenario(manager));
  api = await new TestApi(db.dataSource).start();
  const { organisations, components, incidents, advisories } = await api.data(`{
    organisations(first: 20) { edges { node { id name kind } } }
    components(first: 50) { edges { node { id name } } }
    incidents { edges { node { id title } } }
    advisories { edges { node { id } } }
  }`);
  const org = (name: string) => organisations.edges.find((e: { node: { name: string } }) => e.node.name.startsWith(name)).node.id as string;
  const component = (name: string) => components.edges.find((e: { node: { name: string } }) => e.node.name === name).node as { id: string; name: string };
  const incident = (title: string) => incidents.edges.find((e: { node: { title: string } }) => e.node.title.includes(title)).node.id as string;
  ids.set('centric', org('Centric'));
  ids.set('hltsamen', org('HLTsamen'));
  ids.set('tilburg', org('Tilburg'));
  ids.set('advisory', advisories.edges[0].node.id);
  const uuid = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1];
  const viewer = (name: string, role: Role): Viewer => ({ kind: 'organisation', organisationId: uuid(org(name)), role, tokenId: `matrix-${role}` });

  const tilburg: Target = {
    component: component('Tilburg Citrix ADC'), municipality: 'GM0855', organisation: org('Tilburg'), incident: incident('Tilburg'),
    secrets: ['Tilburg Citrix ADC', 'Resident log-in', 'hack attempts'],
  };
  const hlt = (componentName: string, municipality: string, organisation: string): Target => ({
    component: component(componentName), municipality, organisation: org(organisation), incident: incident('Hillegom, Lisse'), secrets: [],
  });
  viewers.set('PUBLIC', { kind: 'public' });
  targets.set('PUBLIC', { own: hlt('HLTsamen Citrix Gateway', 'GM0534', 'Hillegom'), other: tilburg });
  viewers.set('MUNICIPALITY', viewer('Hillegom', 'MUNICIPALITY'));
  targets.set('MUNICIPALITY', { own: hlt('HLTsamen Citrix Gateway', 'GM0534', 'Hillegom'), other: tilburg });
  viewers.set('OPERATOR', viewer('HLTsamen', 'OPERATOR'));
  targets.set('OPERATOR', { own: hlt('HLTsamen Citrix Gateway', 'GM0553', 'HLTsamen'), other: tilburg });
  viewers.set('VENDOR', viewer('Centric', 'VENDOR'));
  targets.set('VENDOR', { own: { ...hlt('Centric Citrix server', 'GM0534', 'Centric'), secrets: ['HLTsamen Citrix Gateway'] }, other: tilburg });
  viewers.set('COORDINATOR', viewer('NCSC', 'COORDINATOR'));
  targets.set('COORDINATOR', { own: hlt('HLTsamen Citrix Gateway', 'GM0534', 'NCSC'), other: tilburg });
});

afterAll(async () => {
  await api.stop();
  await db.close();
});

test('every root query and mutation has a case in the matrix', () => {
  const schema = createSchema();
  const roots = [schema.getQueryType(), schema.getMutationType()].filter((t): t is GraphQLObjectType => t !== null && t !== undefined);
  const fields = roots.flatMap((root) => Object.keys(root.getFields()));
  expect(fields.filter((field) => !cases.some((c) => c.field === field))).toEqual([]);
});

test('the matrix: allowed, denied or hidden as the policy says, with nothing leaked', async () => {
  const failures: string[] = [];
  let size = 0;
  let leaks = 0;
  for (const who of ['PUBLIC', 'MUNICIPALITY', 'OPERATOR', 'VENDOR', 'COORDINATOR'] as Who[]) {
    currentWho = who;
    for (const c of cases) {
      for (const [i, tenant] of (['own', 'other'] as Tenant[]).entries()) {
        size += 1;
        const target = targets.get(who)![tenant];
        const expected = c.expect[who][i];
        const result = await api.query(c.query, await c.variables(target, viewers.get(who)!), viewers.get(who)!);
        const codes = (result.errors ?? []).map((e) => e.extensions?.code);
        const text = JSON.stringify(result.data ?? null);
        const label = `${who} × ${c.name} × ${tenant} tenant: expected ${expected}`;
        const leaked = expected !== 'allowed' && [...target.secrets, ...(expected === 'hidden' || tenant === 'other' ? [target.component.name] : [])]
          .some((secret) => secret && text.includes(secret) && c.field !== 'organisation' && c.field !== 'organisations');
        if (leaked) {
          leaks += 1;
          failures.push(`${label}, but the answer contains the other tenant's data: ${text.slice(0, 200)}`);
        }
        if (expected === 'allowed' && (codes.length > 0 || (c.contains && !c.contains(result, target)))) {
          failures.push(`${label}, got ${codes.join(',') || 'an answer without the target'}: ${JSON.stringify(result.errors?.[0]?.message ?? text.slice(0, 120))}`);
        }
        // The public's smaller cost budget (src/platform/admission.ts) may refuse before the access
        // layer is asked: a national overview of a past moment judges the whole country.
        const overPublicBudget = who === 'PUBLIC' && (result.errors ?? []).some((e) => e.extensions?.code === 'BAD_USER_INPUT' && /^Query cost limit for the public/.test(e.message));
        if (expected === 'denied' && !overPublicBudget && !codes.some((code) => code === (who === 'PUBLIC' ? 'UNAUTHENTICATED' : 'FORBIDDEN'))) {
          failures.push(`${label}, got ${codes.join(',') || 'an answer'}: ${text.slice(0, 120)}`);
        }
        if (expected === 'hidden' && (codes.length > 0 || !c.contains || c.contains(result, target))) {
          failures.push(`${label}, got ${codes.join(',') || 'the hidden row'}`);
        }
      }
    }
  }
  process.stdout.write(`access matrix: ${size} cases, ${leaks} leaks\n`);
  expect(failures).toEqual([]);
  expect(size).toBe(5 * cases.length * 2);
}, 180_000);

/**
 * TLP 2.0: every label × role × own/other, for incidents, incident updates and advisories, read one by
 * one and in the lists (whose SQL must agree with the guarded loaders). "Own" is the role's own
 * target (HLTsamen's gateway for the public, Hillegom, HLTsamen and NCSC; Centric's server for
 * Centric); "other" is Tilburg's gateway. RED is addressed to the viewer's organisation for "own",
 * to Tilburg for "other". Incidents are declared by the component's operator; advisories published
 * by the IBD (a coordinator, not the NCSC viewer), naming exactly the target's gateway version.
 */
type Label = 'CLEAR' | 'GREEN' | 'AMBER' | 'AMBER_STRICT' | 'RED';
const LABELS: Label[] = ['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT', 'RED'];

function tlpExpected(label: Label, who: Who, tenant: Tenant): boolean {
  if (label === 'CLEAR') return true;
  if (who === 'PUBLIC') return false;
  if (label === 'GREEN') return true;
  if (label === 'RED') return tenant === 'own';
  if (who === 'COORDINATOR') return true;
  if (label === 'AMBER') return tenant === 'own';
  return tenant === 'own' && (who === 'OPERATOR' || who === 'VENDOR');
}

test('TLP: every label × role × own/other, for incidents, incident updates and advisories, one by one and in lists', async () => {
  const failures: string[] = [];
  let size = 0;
  const recipientOf = (who: Who, tenant: Tenant) => (tenant === 'other' || who === 'PUBLIC' ? uuidOf(ids.get('tilburg')!) : (viewers.get(who) as { organisationId: string }).organisationId);
  const addressTo = (type: string, subjectId: string, organisationId: string) =>
    db.dataSource.query(`INSERT INTO tlp_recipient (subject_type, subject_id, organisation_id) VALUES ($1, $2, $3)`, [type, subjectId, organisationId]);

  for (const who of ['PUBLIC', 'MUNICIPALITY', 'OPERATOR', 'VENDOR', 'COORDINATOR'] as Who[]) {
    const viewer = viewers.get(who)!;
    const made: { kind: string; label: Label; tenant: Tenant; id: string; marker: string }[] = [];
    for (const tenant of ['own', 'other'] as Tenant[]) {
      const component = uuidOf(targets.get(who)![tenant].component.id);
      for (const label of LABELS) {
        const marker = `tlp-${who}-${tenant}-${label}`;
        const [incident] = await db.dataSource.query(
          `INSERT INTO incident (title, severity, state, declared_by_id, started_at, tlp) SELECT $1, 'MINOR', 'INVESTIGATING', operator_id, now(), $2 FROM component WHERE id = $3 RETURNING id, declared_by_id`,
          [`incident ${marker}`, label, component],
        );
        await db.dataSource.query(`INSERT INTO incident_component (incident_id, component_id) VALUES ($1, $2)`, [incident.id, component]);
        if (label === 'RED') await addressTo('Incident', incident.id, recipientOf(who, tenant));
        made.push({ kind: 'incident', label, tenant, id: globalId('Incident', incident.id), marker: `incident ${marker}` });

        // The update's own label, on a CLEAR incident, so that only the update's label decides.
        const [carrier] = await db.dataSource.query(
          `INSERT INTO incident (title, severity, state, declared_by_id, started_at, tlp) SELECT 'carrier', 'MINOR', 'INVESTIGATING', operator_id, now(), 'CLEAR' FROM component WHERE id = $1 RETURNING id, declared_by_id`,
          [component],
        );
        await db.dataSource.query(`INSERT INTO incident_component (incident_id, component_id) VALUES ($1, $2)`, [carrier.id, component]);
        const [update] = await db.dataSource.query(
          `INSERT INTO incident_update (incident_id, kind, state, message, posted_at, author_id, tlp) VALUES ($1, 'UPDATE', 'INVESTIGATING', $2, now(), $3, $4) RETURNING id`,
          [carrier.id, `update ${marker}`, carrier.declared_by_id, label],
        );
        if (label === 'RED') await addressTo('IncidentUpdate', update.id, recipientOf(who, tenant));
        made.push({ kind: 'update', label, tenant, id: globalId('Incident', carrier.id), marker: `update ${marker}` });

        const [advisory] = await db.dataSource.query(
          `INSERT INTO advisory (reference, title, publisher_id, published_at, advice, tlp) SELECT $1, $1, id, now(), 'PATCH', $2 FROM organisation WHERE name LIKE 'IBD%' RETURNING id`,
          [`advisory ${marker}`, label],
        );
        await db.dataSource.query(
          `INSERT INTO advisory_affected_product (advisory_id, product_vendor, product, version) SELECT $1, product_vendor, product, version FROM component WHERE id = $2`,
          [advisory.id, component],
        );
        if (label === 'RED') await addressTo('Advisory', advisory.id, recipientOf(who, tenant));
        made.push({ kind: 'advisory', label, tenant, id: globalId('Advisory', advisory.id), marker: `advisory ${marker}` });
      }
    }
    const lists = JSON.stringify(await api.query(`{ incidents(first: 200) { edges { node { title updates { message } } } } advisories(first: 200) { edges { node { reference } } } }`, {}, viewer));
    for (const subject of made) {
      size += 1;
      const expected = tlpExpected(subject.label, who, subject.tenant);
      const single = subject.kind === 'advisory'
        ? await api.query(`query($id: ID!) { advisory(id: $id) { reference } }`, { id: subject.id }, viewer)
        : await api.query(`query($id: ID!) { incident(id: $id) { title updates { message } } }`, { id: subject.id }, viewer);
      const read = JSON.stringify(single.data ?? null).includes(subject.marker);
      const inList = lists.includes(subject.marker);
      const label = `${who} × ${subject.kind} TLP:${subject.label} × ${subject.tenant}: expected ${expected ? 'readable' : 'unreadable'}`;
      if (read !== expected) failures.push(`${label}, read one by one: ${JSON.stringify(single).slice(0, 160)}`);
      if (inList !== expected) failures.push(`${label}, but the list ${inList ? 'shows' : 'lacks'} it`);
      if (!expected && subject.kind !== 'update' && !single.errors?.some((e) => e.extensions?.code === (who === 'PUBLIC' ? 'UNAUTHENTICATED' : 'FORBIDDEN'))) {
        failures.push(`${label}, refused without the right code: ${JSON.stringify(single.errors ?? null).slice(0, 160)}`);
      }
    }
  }
  process.stdout.write(`TLP matrix: ${size} cases\n`);
  expect(failures).toEqual([]);
  expect(size).toBe(LABELS.length * 3 * 5 * 2);
}, 180_000);
