import { Random, Zipf } from '../lib/random';
import {
  APPLICATION_NAMES, COUNTRIES, DUTCH_VENDORS, INFRASTRUCTURE_NAMES, KNOWN_MUNICIPALITIES,
  NATIONAL_APPLICATIONS, SERVICE_NAMES, inventedPlaceName,
} from './places';
import { GATEWAY_PRODUCTS, Product } from './products';
import type {
  Cause, ComponentRow, Dataset, DependencyRow, OrganisationRow, ReportedStatus, StatusReportRow,
} from './rows';

/**
 * How big the country is at a scale factor. Scale 1 is the national picture of the issue: 342
 * municipalities, ~60 shared-service organisations, ~25,000 operators and ~30,000 gateways worldwide,
 * ~100,000 services and applications, ~1,000,000 dependency edges. A smaller scale shrinks the
 * *country* (fewer municipalities, vendors, operators, gateways) but not a *municipality*: each one
 * still has 100–300 services with the same depth of dependencies, so a quick run measures the same
 * per-request work as the full one.
 */
export interface Shape {
  municipalities: number;
  sharedServiceOrganisations: number;
  dutchVendors: number;
  operatorsWorldwide: number;
  gatewaysWorldwide: number;
  vendorApplications: number;
  /**
   * Gateways of PinkRoccade Local Government: its 3 like every large vendor's, plus one per hosted
   * customer environment (455 in all at scale 1), so that W7's bulk shutdown of 300 gateways by one
   * vendor has a vendor to measure.
   */
  pinkRoccadeGateways: number;
}

export function shapeFor(scale: number): Shape {
  const country = Math.min(1, scale);
  const municipalities = Math.max(12, Math.round(342 * country));
  return {
    municipalities,
    sharedServiceOrganisations: Math.max(2, Math.round((municipalities * 60) / 342)),
    dutchVendors: Math.max(6, Math.round(DUTCH_VENDORS.length * country)),
    operatorsWorldwide: Math.round(25_000 * scale),
    gatewaysWorldwide: Math.round(30_000 * scale),
    vendorApplications: Math.max(60, Math.round(2_500 * country)),
    pinkRoccadeGateways: Math.max(6, Math.round(455 * scale)),
  };
}

const DAY = 86_400_000;
const YEAR_START = Date.UTC(2025, 0, 1);
/** Every timestamp lies before this, so "now" (the default asOf) sees the whole history. */
const HISTORY_END = Date.UTC(2025, 11, 20);

/** A moment in [from, to) with whole seconds: the status engine compares moments 1 ms apart. */
function momentBetween(random: Random, from: number, to: number): Date {
  return new Date(Math.floor((from + random.next() * (to - from)) / 1000) * 1000);
}

interface Home {
  operator: OrganisationRow;
  members: OrganisationRow[];
  slug: string;
  citrixPair: ComponentRow[];
  webGateways: ComponentRow[];
  infrastructure: ComponentRow[];
  applications: ComponentRow[];
  vendorApplications: ComponentRow[];
}

interface Vendor {
  organisation: OrganisationRow;
  /** The gateways its hosted applications sit behind (the first is the vendor's hub). */
  gateways: ComponentRow[];
  /** Gateways in front of one customer's hosted environment each (PinkRoccade's); their dependants are that customer's applications. */
  tenantGateways: ComponentRow[];
  infrastructure: ComponentRow[];
  applications: ComponentRow[];
}

const PINK_ROCCADE = 'PinkRoccade Local Government';

/** Builds the whole national picture in memory; `load.ts` streams it into PostgreSQL with COPY. */
export function generateDataset(scale: number, seed: number): Dataset {
  return new Generator(scale, seed).run();
}

class Generator {
  private readonly random: Random;
  private readonly shape: Shape;
  private readonly data: Dataset;
  /** Per component: the ids it depends on now, to keep edges unique (the `dependency_current` index). */
  private readonly edgesOf = new Map<string, Set<string>>();
  /** Gateways that must stay up now: the hubs, so that the what-if (impact) has something to take down. */
  private readonly keepUp = new Set<string>();
  private nationalApplications: ComponentRow[] = [];

  constructor(scale: number, seed: number) {
    this.random = new Random(seed);
    this.shape = shapeFor(scale);
    this.data = {
      scale, seed, organisations: [], memberships: [], components: [], deliveries: [], dependencies: [],
      statusReports: [], advisories: [], affectedProducts: [],
    };
  }

  run(): Dataset {
    const coordinators = this.coordinators();
    const municipalities = this.municipalities();
    const homes = this.homes(municipalities);
    const vendors = this.vendors();
    this.national(coordinators.logius);
    for (const vendor of vendors) this.vendorApplications(vendor);
    const tenantsOf = this.hostedEnvironments(homes, vendors);
    for (const home of homes) this.home(home, vendors, tenantsOf.get(home) ?? []);
    this.worldwideGateways();
    this.removedEdges();
    this.statusHistory();
    this.advisories(coordinators.ncsc);
    return this.data;
  }

  // Organisations ---------------------------------------------------------------------------------

  private organisation(kind: OrganisationRow['kind'], name: string, extra: Partial<OrganisationRow> = {}): OrganisationRow {
    const row: OrganisationRow = { id: this.random.uuid(), kind, name, cbsCode: null, population: null, website: null, ...extra };
    this.data.organisations.push(row);
    return row;
  }

  private coordinators(): { ncsc: OrganisationRow; logius: OrganisationRow } {
    const ncsc = this.organisation('COORDINATOR', 'Nationaal Cyber Security Centrum', { website: 'https://www.ncsc.nl' });
    this.organisation('COORDINATOR', 'Informatiebeveiligingsdienst (VNG Realisatie)', { website: 'https://www.informatiebeveiligingsdienst.nl' });
    const logius = this.organisation('VENDOR', 'Logius', { website: 'https://www.logius.nl' });
    return { ncsc, logius };
  }

  private municipalities(): OrganisationRow[] {
    const count = this.shape.municipalities;
    const result: OrganisationRow[] = [];
    const usedCodes = new Set<string>();
    for (const known of KNOWN_MUNICIPALITIES.slice(0, count)) {
      usedCodes.add(known.cbsCode);
      result.push(this.organisation('MUNICIPALITY', known.name, {
        cbsCode: known.cbsCode, population: known.population, website: `https://www.${slug(known.name)}.nl`,
      }));
    }
    let code = 1;
    let nameIndex = 0;
    while (result.length < count) {
      const cbsCode = `GM${String(code++).padStart(4, '0')}`;
      if (usedCodes.has(cbsCode)) continue;
      const name = inventedPlaceName(nameIndex++ * 7 + 3);
      const population = Math.round(Math.min(200_000, Math.max(1_000, this.random.logNormal(28_000, 0.6))));
      result.push(this.organisation('MUNICIPALITY', name, { cbsCode, population, website: `https://www.${slug(name)}.nl` }));
    }
    return result;
  }

  /** A home runs services: a shared-service organisation for its members, or a municipality on its own. */
  private homes(municipalities: OrganisationRow[]): Home[] {
    const byCode = new Map(municipalities.map((m) => [m.cbsCode!, m]));
    const served = new Set<string>();
    const homes: Home[] = [];
    const newHome = (operator: OrganisationRow, members: OrganisationRow[]): Home => ({
      operator, members, slug: slug(operator.name), citrixPair: [], webGateways: [], infrastructure: [], applications: [], vendorApplications: [],
    });

    const hlt = this.organisation('SHARED_SERVICE_ORGANISATION', 'HLTsamen', { website: 'https://www.hltsamen.nl' });
    const hltMembers = ['GM0534', 'GM0553', 'GM1525'].map((code) => byCode.get(code)!);
    homes.push(newHome(hlt, hltMembers));
    const pool = this.random.shuffle(municipalities.filter((m) => !hltMembers.includes(m) && m.cbsCode !== 'GM0855'));
    for (const member of hltMembers) served.add(member.id);

    for (let i = 1; i < this.shape.sharedServiceOrganisations && pool.length >= 2; i++) {
      const size = Math.min(pool.length, this.random.int(2, 7));
      const members = pool.splice(0, size);
      const name = `Werkorganisatie ${members.map((m) => m.name.replace(/^'s-/, '')).slice(0, 2).join('-')}`;
      const organisation = this.organisation('SHARED_SERVICE_ORGANISATION', name.slice(0, 200));
      homes.push(newHome(organisation, members));
      for (const member of members) served.add(member.id);
    }
    for (const home of homes) {
      if (home.operator.kind !== 'SHARED_SERVICE_ORGANISATION') continue;
      for (const member of home.members) {
        this.data.memberships.push({
          id: this.random.uuid(), sharedServiceOrganisationId: home.operator.id, municipalityId: member.id,
          startsOn: `20${this.random.int(10, 22)}-01-01`,
        });
      }
    }
    for (const municipality of municipalities) {
      if (!served.has(municipality.id)) homes.push(newHome(municipality, [municipality]));
    }
    return homes;
  }

  private vendors(): Vendor[] {
    const names = DUTCH_VENDORS.slice(0, this.shape.dutchVendors);
    const vendors = names.map((name) => ({
      organisation: this.organisation('VENDOR', name, { website: `https://www.${slug(name)}.nl` }),
      gateways: [] as ComponentRow[], tenantGateways: [] as ComponentRow[], infrastructure: [] as ComponentRow[], applications: [] as ComponentRow[],
    }));
    for (const [rank, vendor] of vendors.entries()) {
      const operator = vendor.organisation.id;
      const gatewayCount = rank < 3 ? 3 : this.random.int(1, 3);
      const citrix = this.random.pick(GATEWAY_PRODUCTS.slice(0, 2));
      for (let g = 0; g < gatewayCount; g++) {
        vendor.gateways.push(this.gateway(operator, `${slug(vendor.organisation.name)}-gw-${g + 1}`, g === 0 ? citrix : undefined, undefined, true));
      }
      // The vendor's first gateway carries its hosted applications: the hub that the what-if takes down.
      this.keepUp.add(vendor.gateways[0].id);
      // PinkRoccade Local Government hosts an environment per customer, each behind a gateway of its own.
      if (vendor.organisation.name === PINK_ROCCADE) {
        for (let g = gatewayCount; g < this.shape.pinkRoccadeGateways; g++) {
          vendor.tenantGateways.push(this.gateway(operator, `${slug(vendor.organisation.name)}-gw-${g + 1}`, g % 4 === 0 ? citrix : undefined, undefined, true));
        }
      }
      for (let i = 0; i < this.random.int(3, 8); i++) {
        vendor.infrastructure.push(this.component('INFRASTRUCTURE', operator, `${this.random.pick(INFRASTRUCTURE_NAMES)} ${vendor.organisation.name} ${i + 1}`, { offered: true }));
      }
    }
    // Vendors' popularity is skewed: Centric's burgerzaken runs for very many municipalities.
    const popularity = new Zipf(vendors.length, 1.1);
    for (let i = 0; i < this.shape.vendorApplications; i++) {
      const vendor = vendors[i < vendors.length ? i : popularity.draw(this.random)];
      const name = `${this.random.pick(APPLICATION_NAMES)} (${vendor.organisation.name}) ${vendor.applications.length + 1}`;
      vendor.applications.push(this.component('APPLICATION', vendor.organisation.id, name, { offered: true }));
    }
    return vendors;
  }

  // Components and edges --------------------------------------------------------------------------

  private component(kind: ComponentRow['kind'], operatorId: string, name: string, extra: Partial<ComponentRow> = {}): ComponentRow {
    const row: ComponentRow = {
      id: this.random.uuid(), kind, operatorId, name: name.slice(0, 200), productVendor: null, product: null, version: null,
      internetFacing: null, audience: null, heartbeatSeconds: this.random.chance(0.1) ? 86_400 : null, offered: false, ...extra,
    };
    this.data.components.push(row);
    return row;
  }

  private gateway(operatorId: string, name: string, product?: Product, version?: string, offered = false): ComponentRow {
    const chosen = product ?? this.random.weighted(GATEWAY_PRODUCTS, GATEWAY_PRODUCTS.map((p) => p.weight));
    return this.component('GATEWAY', operatorId, name, {
      productVendor: chosen.vendor, product: chosen.product,
      version: version ?? this.random.pick(chosen.versions).version,
      internetFacing: this.random.chance(0.9), offered,
    });
  }

  /** Adds "from depends on to" unless that edge exists already; returns whether it was added. */
  private depend(from: ComponentRow, to: ComponentRow, kind: 'REQUIRED' | 'OPTIONAL', redundancyGroup: string | null = null): boolean {
    let targets = this.edgesOf.get(from.id);
    if (!targets) {
      targets = new Set();
      this.edgesOf.set(from.id, targets);
    }
    if (targets.has(to.id)) return false;
    targets.add(to.id);
    this.data.dependencies.push({
      id: this.random.uuid(), componentId: from.id, dependsOnId: to.id, kind, redundancyGroup,
      addedAt: momentBetween(this.random, Date.UTC(2023, 0, 1), YEAR_START), removedAt: null,
    });
    return true;
  }

  /** Both members of a pair, in one redundancy group: down only when both are. */
  private dependOnPair(from: ComponentRow, pair: ComponentRow[], group: string): void {
    for (const member of pair) this.depend(from, member, 'REQUIRED', group);
  }

  private national(logius: OrganisationRow): void {
    const citrix = GATEWAY_PRODUCTS[0];
    const gateways = [1, 2, 3].map((n) => this.gateway(logius.id, `logius-gw-${n}`, citrix, '13.1.37.38', true));
    for (const gateway of gateways) this.keepUp.add(gateway.id);
    const infrastructure = [1, 2, 3, 4].map((n) => this.component('INFRASTRUCTURE', logius.id, `Logius datacenter ${n}`, { offered: true }));
    for (const name of NATIONAL_APPLICATIONS) {
      const application = this.component('APPLICATION', logius.id, name, { offered: true });
      // DigiD and friends sit behind a redundant pair; the others behind one gateway.
      if (this.nationalApplications.length < 3) this.dependOnPair(application, gateways.slice(0, 2), 'internet');
      else this.depend(application, gateways[2], 'REQUIRED');
      this.depend(application, this.random.pick(infrastructure), 'REQUIRED');
      this.nationalApplications.push(application);
    }
  }

  /** Which homes' environments each tenant gateway fronts: round-robin over the homes in seeded order, so every one has dependants. */
  private hostedEnvironments(homes: Home[], vendors: Vendor[]): Map<Home, ComponentRow[]> {
    const tenantsOf = new Map<Home, ComponentRow[]>();
    const order = this.random.shuffle(homes.slice());
    for (const [i, gateway] of vendors.flatMap((v) => v.tenantGateways).entries()) {
      const home = order[i % order.length];
      tenantsOf.set(home, [...(tenantsOf.get(home) ?? []), gateway]);
    }
    return tenantsOf;
  }

  private vendorApplications(vendor: Vendor): void {
    for (const application of vendor.applications) {
      if (vendor.gateways.length >= 2 && this.random.chance(0.2)) this.dependOnPair(application, vendor.gateways.slice(0, 2), 'hosting');
      else this.depend(application, vendor.gateways[0], 'REQUIRED');
      for (let i = this.random.int(1, 3); i > 0; i--) this.depend(application, this.random.pick(vendor.infrastructure), 'REQUIRED');
      if (this.random.chance(0.3)) this.depend(application, this.random.pick(this.nationalApplications.slice(3)), 'REQUIRED');
    }
  }

  private home(home: Home, vendors: Vendor[], tenantGateways: ComponentRow[]): void {
    const operator = home.operator.id;
    const citrix = this.random.pick(GATEWAY_PRODUCTS.slice(0, 2));
    const citrixVersion = this.random.pick(citrix.versions).version;
    home.citrixPair = [1, 2].map((n) => this.gateway(operator, `citrix-${n}.${home.slug}.nl`, citrix, citrixVersion));
    for (let n = this.random.int(1, 2); n > 0; n--) home.webGateways.push(this.gateway(operator, `web-${n}.${home.slug}.nl`));
    for (let i = this.random.int(8, 20); i > 0; i--) {
      home.infrastructure.push(this.component('INFRASTRUCTURE', operator, `${this.random.pick(INFRASTRUCTURE_NAMES)} ${home.operator.name} ${i}`));
    }

    // Which vendors' hosted applications this home uses; popular vendors are chosen most.
    const popularity = new Zipf(vendors.length, 1.1);
    const vendorApplications = new Set<ComponentRow>();
    for (let i = this.random.int(2, 7); i > 0; i--) {
      const vendor = vendors[popularity.draw(this.random)];
      const within = new Zipf(vendor.applications.length, 1.2);
      for (let j = this.random.int(1, 4); j > 0; j--) vendorApplications.add(vendor.applications[within.draw(this.random)]);
    }
    home.vendorApplications = [...vendorApplications];

    // Services: each member municipality gets 100–300; a shared-service organisation delivers part of them to all.
    const targets = home.members.map(() => this.random.int(100, 300));
    const shared = home.members.length > 1 ? Math.min(...targets) - this.random.int(20, 40) : 0;
    const sharedServices = this.services(home, home.members, shared);
    const ownServices = home.members.map((member, i) => this.services(home, [member], targets[i] - shared));

    const applicationCount = Math.round((sharedServices.length + ownServices.flat().length) * (0.7 + this.random.next() * 0.4));
    for (let i = 0; i < applicationCount; i++) {
      home.applications.push(this.component('APPLICATION', operator, `${this.random.pick(APPLICATION_NAMES)} ${home.operator.name} ${i + 1}`));
    }
    for (const application of home.applications) this.homeApplicationEdges(home, application);
    // The applications that are front ends of the home's hosted environment: 5 to 25 per tenant gateway.
    for (const gateway of tenantGateways) {
      for (let i = this.random.int(5, 25); i > 0; i--) this.depend(this.random.pick(home.applications), gateway, 'REQUIRED');
    }
    for (const service of [...sharedServices, ...ownServices.flat()]) this.serviceEdges(home, service);
  }

  private services(home: Home, deliveredTo: OrganisationRow[], count: number): ComponentRow[] {
    const result: ComponentRow[] = [];
    for (let i = 0; i < count; i++) {
      const audience = this.random.weighted(['RESIDENTS', 'STAFF', 'BUSINESSES'] as const, [55, 30, 15]);
      const where = deliveredTo.length === 1 ? deliveredTo[0].name : home.operator.name;
      const service = this.component('SERVICE', home.operator.id, `${this.random.pick(SERVICE_NAMES[audience])} ${where} ${i + 1}`, { audience });
      for (const municipality of deliveredTo) this.data.deliveries.push({ serviceId: service.id, municipalityId: municipality.id });
      result.push(service);
    }
    return result;
  }

  private homeApplicationEdges(home: Home, application: ComponentRow): void {
    if (this.random.chance(0.7)) this.dependOnPair(application, home.citrixPair, 'remote-access');
    else this.depend(application, this.random.pick(home.webGateways), 'REQUIRED');
    const infrastructure = new Zipf(home.infrastructure.length, 1.0);
    for (let i = this.random.int(1, 8); i > 0; i--) this.depend(application, home.infrastructure[infrastructure.draw(this.random)], 'REQUIRED');
    // Most of a home's applications run on its own servers; some are front ends of a vendor's hosted system.
    if (home.vendorApplications.length > 0 && this.random.chance(0.3)) {
      this.depend(application, this.random.pick(home.vendorApplications), this.random.chance(0.7) ? 'REQUIRED' : 'OPTIONAL');
    }
    const national = new Zipf(this.nationalApplications.length, 1.0);
    if (this.random.chance(0.3)) this.depend(application, this.nationalApplications[national.draw(this.random)], 'REQUIRED');
  }

  private serviceEdges(home: Home, service: ComponentRow): void {
    // A few of a home's applications (the zaaksysteem, the portal) carry most of its services.
    const applications = new Zipf(home.applications.length, 0.9);
    this.depend(service, home.applications[applications.draw(this.random)], 'REQUIRED');
    for (let i = this.random.int(3, 20); i > 0; i--) {
      this.depend(service, home.applications[applications.draw(this.random)], this.random.chance(0.65) ? 'REQUIRED' : 'OPTIONAL');
    }
    if (home.vendorApplications.length > 0 && this.random.chance(0.3)) this.depend(service, this.random.pick(home.vendorApplications), 'REQUIRED');
    if (service.audience === 'RESIDENTS' && this.random.chance(0.7)) this.depend(service, this.nationalApplications[0], 'REQUIRED');
    if (service.audience === 'BUSINESSES' && this.random.chance(0.7)) this.depend(service, this.nationalApplications[1], 'REQUIRED');
    if (service.audience === 'STAFF') this.dependOnPair(service, home.citrixPair, 'remote-access');
    if (service.audience === 'RESIDENTS' && this.random.chance(0.25)) this.depend(service, this.random.pick(home.webGateways), 'REQUIRED');
  }

  /** Gateways of the ~25,000 organisations worldwide that no Dutch service depends on: they count in the national overview. */
  private worldwideGateways(): void {
    const dutch = this.data.components.filter((c) => c.kind === 'GATEWAY').length;
    const operators: OrganisationRow[] = [];
    const operatorCount = Math.max(1, this.shape.operatorsWorldwide - this.data.organisations.length);
    for (let i = 0; i < operatorCount; i++) {
      const country = this.random.pick(COUNTRIES);
      operators.push(this.organisation('VENDOR', `Operator ${country}-${String(i + 1).padStart(5, '0')}`));
    }
    for (let i = 0; dutch + i < this.shape.gatewaysWorldwide; i++) {
      const operator = operators[i % operators.length];
      this.gateway(operator.id, `gw-${i + 1}.${slug(operator.name)}.example`);
    }
  }

  /**
   * History: edges that existed once and were removed (kept for `asOf`); they must not count now.
   * Removed before the status history starts (YEAR_START): the status engine counts an edge during
   * the period it was in force, so a removal amid the reports would move `since` in ways the floor,
   * which follows the edges in force now, does not model.
   */
  private removedEdges(): void {
    const live = this.data.dependencies.slice();
    const count = Math.round(live.length * 0.1);
    for (let i = 0; i < count; i++) {
      const template = live[this.random.int(0, live.length - 1)];
      const target = live[this.random.int(0, live.length - 1)].dependsOnId;
      if (target === template.componentId) continue;
      const addedAt = momentBetween(this.random, Date.UTC(2022, 0, 1), Date.UTC(2023, 0, 1));
      this.data.dependencies.push({
        id: this.random.uuid(), componentId: template.componentId, dependsOnId: target,
        kind: 'REQUIRED', redundancyGroup: null, addedAt,
        removedAt: momentBetween(this.random, addedAt.getTime(), YEAR_START),
      });
    }
  }

  // Status history --------------------------------------------------------------------------------

  private statusHistory(): void {
    const vulnerable = new Set(GATEWAY_PRODUCTS.flatMap((p) => p.versions.filter((v) => v.vulnerable).map((v) => `${p.vendor}|${p.product}|${v.version}`)));
    const operatorOf = new Map(this.data.components.map((c) => [c.id, c.operatorId]));
    // Homes switch both Citrix servers of a pair off at once, as HLTsamen did; decided per pair name.
    const pairDecision = new Map<string, boolean>();
    const switchedOff = new Set<string>();

    for (const component of this.data.components) {
      const isGateway = component.kind === 'GATEWAY';
      if (this.random.chance(isGateway ? 0.08 : 0.03)) continue; // never reported: UNKNOWN
      const reports: StatusReportRow[] = [];
      const report = (status: ReportedStatus, cause: Cause | null, at: Date) => reports.push({
        id: this.random.uuid(), componentId: component.id, status, cause, observedAt: at, reporterId: component.operatorId,
        source: this.random.chance(0.5) ? 'integration' : `https://status.example/${component.id.slice(0, 8)}`,
      });
      report('OPERATIONAL', null, momentBetween(this.random, YEAR_START, YEAR_START + 31 * DAY));
      for (let episodes = this.random.chance(0.35) ? (this.random.chance(0.3) ? 2 : 1) : 0; episodes > 0; episodes--) {
        const start = momentBetween(this.random, YEAR_START + 40 * DAY, YEAR_START + 300 * DAY);
        const [status, cause] = this.outage();
        report(status, cause, start);
        report('OPERATIONAL', null, new Date(start.getTime() + this.random.int(1, 72) * 3_600_000));
      }
      reports.sort((a, b) => a.observedAt.getTime() - b.observedAt.getTime());
      let last = reports[reports.length - 1].observedAt.getTime();

      const key = `${component.productVendor}|${component.product}|${component.version}`;
      const pair = isGateway && /^citrix-[12]\./.test(component.name) ? component.name.replace(/^citrix-[12]\./, '') : null;
      let down = false;
      if (isGateway && vulnerable.has(key) && !this.keepUp.has(component.id)) {
        if (pair) {
          if (!pairDecision.has(pair)) pairDecision.set(pair, this.random.chance(0.12));
          down = pairDecision.get(pair)!;
        } else {
          down = this.random.chance(0.15);
        }
        if (down) {
          last = Math.max(last, HISTORY_END - 10 * DAY);
          report('MAJOR_OUTAGE', 'PRECAUTIONARY_SHUTDOWN', momentBetween(this.random, last + 1000, HISTORY_END - 2 * DAY));
          switchedOff.add(component.id);
        }
      } else if (!this.keepUp.has(component.id) && this.random.chance(0.01)) {
        const [status, cause] = this.outage();
        report(status, cause, momentBetween(this.random, Math.max(last + 1000, HISTORY_END - 20 * DAY), HISTORY_END - 2 * DAY));
      }
      this.data.statusReports.push(...reports);
    }

    // Some operators report the consequence themselves ("down because of the gateway"): cause DEPENDENCY.
    for (const edge of this.data.dependencies) {
      if (edge.removedAt !== null || !switchedOff.has(edge.dependsOnId) || !this.random.chance(0.1)) continue;
      this.data.statusReports.push({
        id: this.random.uuid(), componentId: edge.componentId, status: 'MAJOR_OUTAGE', cause: 'DEPENDENCY',
        observedAt: momentBetween(this.random, HISTORY_END - DAY, HISTORY_END), reporterId: operatorOf.get(edge.componentId)!,
        source: 'phone call',
      });
    }
  }

  private outage(): [ReportedStatus, Cause] {
    const status = this.random.weighted(['MAJOR_OUTAGE', 'PARTIAL_OUTAGE', 'DEGRADED_PERFORMANCE', 'UNDER_MAINTENANCE'] as const, [40, 25, 20, 15]);
    if (status === 'UNDER_MAINTENANCE') return [status, 'MAINTENANCE'];
    return [status, this.random.weighted(['FAILURE', 'PRECAUTIONARY_SHUTDOWN', 'COMPROMISE'] as const, [70, 25, 5])];
  }

  private advisories(ncsc: OrganisationRow): void {
    const citrix = {
      id: this.random.uuid(), reference: 'NCSC-2019-0983', title: 'Kwetsbaarheid verholpen in Citrix ADC en Citrix Gateway',
      publisherId: ncsc.id, publishedAt: new Date(HISTORY_END - 15 * DAY), cveIds: ['CVE-2019-19781'], cvssScore: 9.8,
      advice: 'SWITCH_OFF' as const,
    };
    const f5 = {
      id: this.random.uuid(), reference: 'NCSC-2025-0101', title: 'Kwetsbaarheid verholpen in F5 BIG-IP',
      publisherId: ncsc.id, publishedAt: new Date(HISTORY_END - 60 * DAY), cveIds: ['CVE-2025-0001'], cvssScore: 7.5,
      advice: 'PATCH' as const,
    };
    this.data.advisories.push(citrix, f5);
    this.data.affectedProducts.push(
      { id: this.random.uuid(), advisoryId: citrix.id, productVendor: 'Citrix', product: 'ADC', versionFrom: '10.5', versionTo: '13.0.47.24' },
      { id: this.random.uuid(), advisoryId: citrix.id, productVendor: 'Citrix', product: 'Gateway', versionFrom: '11.1', versionTo: '13.0.36.27' },
      { id: this.random.uuid(), advisoryId: f5.id, productVendor: 'F5', product: 'BIG-IP', versionFrom: null, versionTo: '16.1.3' },
    );
  }
}

function slug(name: string): string {
  return name.toLowerCase().normalize('NFD').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/** Row counts, for the log and the results file. */
export function describe(dataset: Dataset): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const c of dataset.components) kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
  return {
    organisations: dataset.organisations.length,
    municipalities: dataset.organisations.filter((o) => o.kind === 'MUNICIPALITY').length,
    memberships: dataset.memberships.length,
    components: dataset.components.length,
    gateways: kinds.GATEWAY ?? 0,
    applications: kinds.APPLICATION ?? 0,
    services: kinds.SERVICE ?? 0,
    infrastructure: kinds.INFRASTRUCTURE ?? 0,
    deliveries: dataset.deliveries.length,
    dependencies: dataset.dependencies.length,
    liveDependencies: dataset.dependencies.filter((d: DependencyRow) => d.removedAt === null).length,
    statusReports: dataset.statusReports.length,
  };
}
