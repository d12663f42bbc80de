import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { Advisory, AdvisoryAffectedProduct } from '../modules/advisory';
import { Component, Dependency, ServiceDelivery } from '../modules/component';
import type { Audience, DependencyKind } from '../modules/component';
import { Incident, IncidentUpdate } from '../modules/incident';
import type { IncidentState, IncidentUpdateKind } from '../modules/incident';
import { Membership, Organisation } from '../modules/organisation';
import type { OrganisationKind } from '../modules/organisation';
import { StatusReport } from '../modules/status';
import { pictureKeeper } from '../modules/picture';
import type { ReportedStatus, StatusCause } from '../modules/status';

/**
 * The January 2020 Citrix scenario (CVE-2019-19781) from domain.md, for the demo and the tests.
 * Clock times are Europe/Amsterdam, CET (UTC+1) in January. A fact attributed to a source is in that
 * source; every detail the sources do not give (an hour, a day, that Tilburg reopened on Monday) is
 * the demo's assumption, and its note or source says so (ASSUMED). Populations are CBS figures for
 * 1 January 2020, rounded; gateway versions are illustrative builds of the affected releases.
 */
const cet = (local: string) => new Date(`${local}+01:00`);

const MEMO = 'HLTsamen memo to the councils of Hillegom, Lisse and Teylingen (January 2020)';
const ARTICLE = 'News article: Tilburg closes its Citrix connection for the weekend (January 2020)';
const BASELINE = cet('2019-12-01T00:00:00');
/** The register as the demo assumes it stood before the scenario: components, dependencies, deliveries. */
const REGISTERED = cet('2019-11-01T00:00:00');
const ASSUMED = 'ketenbeeld demo assumption';

export async function loadDemoScenarioIfEmpty(dataSource: DataSource): Promise<boolean> {
  return dataSource.transaction(async (db) => {
    // Serialises two instances starting at once on an empty database.
    await db.query('LOCK TABLE organisation IN EXCLUSIVE MODE');
    const [{ count }] = await db.query('SELECT count(*)::int AS count FROM organisation');
    if (count > 0) return false;
    await loadDemoScenario(db);
    return true;
  });
}

export async function loadDemoScenario(db: EntityManager): Promise<void> {
  // Registered one after the other (a second apart), so "the first coordinator" is NCSC.
  let registered = 0;
  const organisation = async (kind: OrganisationKind, name: string, extra: Partial<Organisation> = {}) => {
    const id = randomUUID();
    const createdAt = new Date(REGISTERED.getTime() + 1000 * registered++);
    await db.insert(Organisation, { id, kind, name, cbsCode: null, population: null, website: null, createdAt, ...extra });
    return id;
  };
  const hillegom = await organisation('MUNICIPALITY', 'Hillegom', { cbsCode: 'GM0534', population: 22_000 });
  const lisse = await organisation('MUNICIPALITY', 'Lisse', { cbsCode: 'GM0553', population: 23_000 });
  const teylingen = await organisation('MUNICIPALITY', 'Teylingen', { cbsCode: 'GM1525', population: 37_500 });
  const tilburg = await organisation('MUNICIPALITY', 'Tilburg', { cbsCode: 'GM0855', population: 219_800 });
  const hltsamen = await organisation('SHARED_SERVICE_ORGANISATION', 'HLTsamen');
  const centric = await organisation('VENDOR', 'Centric');
  const ncsc = await organisation('COORDINATOR', 'NCSC (Nationaal Cyber Security Centrum)');
  const ibd = await organisation('COORDINATOR', 'IBD (Informatiebeveiligingsdienst, VNG Realisatie)');

  // The start date of HLTsamen's memberships is the demo's assumption (the memo gives none).
  for (const municipalityId of [hillegom, lisse, teylingen]) {
    await db.insert(Membership, {
      id: randomUUID(), sharedServiceOrganisationId: hltsamen, municipalityId, startsOn: '2017-01-01', endsOn: null,
    });
  }

  const component = async (operatorId: string, kind: Component['kind'], name: string, extra: Partial<Component> = {}) => {
    const id = randomUUID();
    await db.insert(Component, {
      id, operatorId, kind, name, description: null, productVendor: null, product: null, version: null,
      internetFacing: null, audience: null, heartbeatSeconds: null, offered: false, createdAt: REGISTERED, updatedAt: REGISTERED, ...extra,
    });
    await db.query(
      `INSERT INTO component_revision (component_id, revision, valid_from, name, product_vendor, product, version, internet_facing, audience)
       SELECT id, revision, created_at, name, product_vendor, product, version, internet_facing, audience FROM component WHERE id = $1`, [id]);
    return id;
  };
  const gateway = (operatorId: string, name: string, version: string) =>
    component(operatorId, 'GATEWAY', name, { productVendor: 'Citrix', product: 'ADC', version, internetFacing: true });
  const service = async (operatorId: string, name: string, audience: Audience, deliveredTo: string[], description?: string) => {
    const id = await component(operatorId, 'SERVICE', name, { audience, description: description ?? null });
    for (const municipalityId of deliveredTo) {
      await db.insert(ServiceDelivery, { id: randomUUID(), serviceId: id, municipalityId, deliveredFrom: REGISTERED, deliveredUntil: null });
    }
    return id;
  };
  const dependsOn = (componentId: string, dependsOnId: string, kind: DependencyKind = 'REQUIRED') =>
    db.insert(Dependency, {
      id: randomUUID(), componentId, dependsOnId, kind, redundancyGroup: null, addedAt: REGISTERED, removedAt: null,
    });

  // HLTsamen and Centric.
  const hltGateway = await gateway(hltsamen, 'HLTsamen Citrix Gateway', '12.1.55.18');
  // Centric offers its hosted application, and the server it stands behind, to its customers
  // (docs/access.md, "Consent"): they see their status, not the server's version.
  const centricGateway = await component(centric, 'GATEWAY', 'Centric Citrix server', {
    productVendor: 'Citrix', product: 'ADC', version: '12.1.50.28', internetFacing: true, offered: true,
  });
  const burgerzaken = await component(centric, 'APPLICATION', 'Burgerzaken application (Centric)', {
    description: 'Civil-affairs application hosted by Centric behind its own Citrix server', offered: true,
  });
  const hlt = [hillegom, lisse, teylingen];
  const hltAppointments = await service(hltsamen, 'Online appointments', 'RESIDENTS', hlt);
  const hltRemoteWork = await service(hltsamen, 'Remote work', 'STAFF', hlt, 'Remote log-in; flex factor 30%: more than 100 people need a desk without it');
  const publicCounter = await service(hltsamen, 'Public counter (burgerzaken)', 'RESIDENTS', hlt);
  await dependsOn(burgerzaken, centricGateway);
  await dependsOn(hltAppointments, hltGateway);
  await dependsOn(hltRemoteWork, hltGateway);
  await dependsOn(publicCounter, burgerzaken);

  // Tilburg.
  const tilburgGateway = await gateway(tilburg, 'Tilburg Citrix ADC', '13.0.47.22');
  const residentLogin = await component(tilburg, 'APPLICATION', 'Resident log-in (municipal website)');
  const tilburgAppointments = await service(tilburg, 'Online appointments', 'RESIDENTS', [tilburg]);
  const meedoen = await service(tilburg, 'Meedoenregeling registration', 'RESIDENTS', [tilburg]);
  const buitenBeter = await service(tilburg, 'BuitenBeter reports', 'RESIDENTS', [tilburg]);
  const tilburgRemoteWork = await service(tilburg, 'Remote work', 'STAFF', [tilburg]);
  const workEmail = await service(tilburg, 'Work e-mail', 'STAFF', [tilburg]);
  await dependsOn(residentLogin, tilburgGateway);
  for (const s of [tilburgAppointments, meedoen, buitenBeter]) await dependsOn(s, residentLogin);
  for (const s of [tilburgRemoteWork, workEmail]) await dependsOn(s, tilburgGateway);

  const allComponents: [string, string][] = [
    [hltGateway, hltsamen], [centricGateway, centric], [burgerzaken, centric], [hltAppointments, hltsamen],
    [hltRemoteWork, hltsamen], [publicCounter, hltsamen], [tilburgGateway, tilburg], [residentLogin, tilburg],
    [tilburgAppointments, tilburg], [meedoen, tilburg], [buitenBeter, tilburg], [tilburgRemoteWork, tilburg], [workEmail, tilburg],
  ];

  const report = (componentId: string, reporterId: string, status: ReportedStatus, cause: StatusCause | null, observedAt: Date, source: string, note: string | null = null) =>
    db.insert(StatusReport, {
      id: randomUUID(), componentId, reporterId, status, cause, observedAt, source, note, reportedBy: null, idempotencyKey: null,
    });
  for (const [componentId, operatorId] of allComponents) {
    await report(componentId, operatorId, 'OPERATIONAL', null, BASELINE, `${ASSUMED}: monitoring starts`);
  }
  await report(tilburgGateway, tilburg, 'MAJOR_OUTAGE', 'PRECAUTIONARY_SHUTDOWN', cet('2020-01-17T09:00:00'), ARTICLE,
    'Citrix connection closed for the weekend. The article gives the day; the hour is the demo\'s assumption.');
  await report(hltGateway, hltsamen, 'MAJOR_OUTAGE', 'PRECAUTIONARY_SHUTDOWN', cet('2020-01-17T12:00:00'), MEMO,
    'Switched off after contradictory reports. The memo gives the day; the hour is the demo\'s assumption.');
  await report(centricGateway, centric, 'MAJOR_OUTAGE', 'PRECAUTIONARY_SHUTDOWN', cet('2020-01-17T17:30:00'), MEMO,
    'Centric switches its own server off, precautionary.');
  await report(publicCounter, hltsamen, 'MAJOR_OUTAGE', 'DEPENDENCY', cet('2020-01-17T17:45:00'), MEMO,
    'No public counter in any of the three municipalities. The memo gives no time for this report; 17:45 is the demo\'s assumption.');
  await report(tilburgGateway, tilburg, 'OPERATIONAL', null, cet('2020-01-20T08:30:00'), `${ASSUMED} (the article says only that the connection is closed at least this weekend)`,
    'Connection reopened on Monday morning: the demo\'s assumption, not in any source.');
  await report(centricGateway, centric, 'OPERATIONAL', null, cet('2020-01-20T09:00:00'), MEMO,
    'Green light from Centric; server back on. The memo says Monday morning; 09:00 is the demo\'s assumption.');
  await report(hltGateway, hltsamen, 'OPERATIONAL', null, cet('2020-01-20T09:15:00'), MEMO,
    'Servers back on, everything works. The memo says Monday morning; 09:15 is the demo\'s assumption.');
  await report(publicCounter, hltsamen, 'OPERATIONAL', null, cet('2020-01-20T09:15:00'), MEMO, 'Monday morning; 09:15 is the demo\'s assumption.');

  const advisory = randomUUID();
  await db.insert(Advisory, {
    id: advisory,
    reference: 'NCSC-DEMO-CVE-2019-19781',
    title: 'Vulnerability in Citrix ADC and Citrix Gateway (CVE-2019-19781)',
    description: 'Remote code execution without authentication. NCSC advises switching specific servers off while the mitigation may not protect every version.',
    publisherId: ncsc,
    publishedAt: cet('2020-01-16T21:00:00'),
    cveIds: ['CVE-2019-19781'],
    cvssScore: 9.8,
    advice: 'SWITCH_OFF',
    source: 'NCSC advisory (demo reference; the hour is ours)',
  });
  for (const product of ['ADC', 'Gateway']) {
    await db.insert(AdvisoryAffectedProduct, {
      id: randomUUID(), advisoryId: advisory, productVendor: 'Citrix', product, versionFrom: '10.5', versionTo: '13.0',
    });
  }

  const incident = async (
    declaredById: string, title: string, startedAt: Date, resolvedAt: Date, componentIds: string[],
    updates: [Date, string, IncidentUpdateKind, IncidentState, string, string][],
  ) => {
    const id = randomUUID();
    await db.insert(Incident, { id, title, severity: 'CRITICAL', state: 'RESOLVED', declaredById, startedAt, resolvedAt });
    for (const componentId of componentIds) {
      await db.query('INSERT INTO incident_component (incident_id, component_id) VALUES ($1, $2)', [id, componentId]);
    }
    await db.query('INSERT INTO incident_advisory (incident_id, advisory_id) VALUES ($1, $2)', [id, advisory]);
    for (const [postedAt, authorId, kind, state, message, source] of updates) {
      await db.insert(IncidentUpdate, { id: randomUUID(), incidentId: id, postedAt, authorId, kind, state, message, source, authorName: null });
    }
  };

  await incident(hltsamen, 'Citrix servers switched off (CVE-2019-19781): Hillegom, Lisse, Teylingen', cet('2020-01-17T12:00:00'), cet('2020-01-20T10:00:00'),
    [hltGateway, centricGateway, burgerzaken, hltAppointments, hltRemoteWork, publicCounter], [
      [cet('2020-01-17T12:00:00'), hltsamen, 'UPDATE', 'IDENTIFIED', 'Citrix server switched off after contradictory reports. No remote log-in (flex factor 30%: more than 100 people need a desk), no online appointments.', MEMO],
      [cet('2020-01-17T17:30:00'), centric, 'UPDATE', 'IDENTIFIED', 'Centric switches its own Citrix server off, precautionary: the burgerzaken application is unavailable, so no public counter in any of the three municipalities.', MEMO],
      [cet('2020-01-18T10:00:00'), hltsamen, 'UPDATE', 'IDENTIFIED', "Monday's appointments are cancelled. (The memo gives the day; the hour is the demo's assumption.)", MEMO],
      [cet('2020-01-19T20:00:00'), ncsc, 'CLEARANCE', 'MONITORING', 'Green light from NCSC to switch the servers back on (Sunday evening).', `${MEMO}: timeline`],
      [cet('2020-01-20T08:00:00'), ncsc, 'CLEARANCE', 'MONITORING', "Green light from NCSC (Monday morning, as another passage of the memo dates it; the sources disagree, both are kept).", `${MEMO}: summary`],
      [cet('2020-01-20T09:00:00'), centric, 'CLEARANCE', 'MONITORING', "Green light from Centric: the burgerzaken server is back on. (Monday morning; the hour is the demo's assumption.)", MEMO],
      [cet('2020-01-20T09:30:00'), hltsamen, 'UPDATE', 'MONITORING', "Servers back on, everything works. Customers whose appointments were cancelled are called back. (Monday morning; the hour is the demo's assumption.)", MEMO],
      [cet('2020-01-20T10:00:00'), hltsamen, 'UPDATE', 'RESOLVED', "HLTsamen's SIEM shows no unauthorised access. (That the incident was resolved then is the demo's assumption.)", MEMO],
    ]);

  await incident(tilburg, 'Citrix ADC vulnerability (CVE-2019-19781): Tilburg', cet('2019-12-27T10:00:00'), cet('2020-01-20T09:00:00'),
    [tilburgGateway, residentLogin, tilburgAppointments, meedoen, buitenBeter, tilburgRemoteWork, workEmail], [
      [cet('2019-12-27T10:00:00'), ibd, 'UPDATE', 'INVESTIGATING', "The IBD warns Tilburg that its Citrix ADC may be hackable. (The article says end of December; the day and hour are the demo's assumption.)", ARTICLE],
      [cet('2019-12-28T10:00:00'), tilburg, 'UPDATE', 'IDENTIFIED', "Citrix's mitigation is applied. (The day and hour are the demo's assumption.)", ARTICLE],
      [cet('2019-12-30T10:00:00'), ibd, 'UPDATE', 'MONITORING', "The IBD checked the mitigation and judges it sufficient. (The day and hour are the demo's assumption.)", ARTICLE],
      [cet('2020-01-16T20:00:00'), ibd, 'UPDATE', 'IDENTIFIED', "The IBD says the mitigation may not be enough: not on all versions. (Thursday evening; the hour is the demo's assumption.)", ARTICLE],
      [cet('2020-01-17T09:00:00'), tilburg, 'UPDATE', 'IDENTIFIED', "Citrix connection closed for the weekend: residents cannot log in on the website to make an appointment, register for the Meedoenregeling or file BuitenBeter reports; staff cannot work from home or use work e-mail. (The hour is the demo's assumption.)", ARTICLE],
      [cet('2020-01-17T12:00:00'), tilburg, 'UPDATE', 'IDENTIFIED', "About 10 hack attempts a day; none succeeded, no data leaked. (The hour is the demo's assumption.)", ARTICLE],
      [cet('2020-01-20T09:00:00'), tilburg, 'UPDATE', 'RESOLVED', "Citrix connection reopened. The article says only that it is closed at least this weekend: the reopening on Monday and this update are the demo's assumption.", `${ASSUMED} (not in the article)`],
    ]);
  // Written in bulk, around the picture keeper: the stored picture is judged from these facts now.
  await pictureKeeper.rebuild(db, new Date());
}
