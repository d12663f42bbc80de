import DataLoader from 'dataloader';
import { EntityManager } from 'typeorm';
import { AppError } from '../../errors';
import type { Component } from '../component';
import type { Organisation } from '../organisation';
import type { Labelled } from '../../common/tlp';
import type { Role, Viewer } from './viewer';

/**
 * What one caller may see and do, decided once per request (api.md, "Access"):
 * - the public reads service availability per municipality (services by name) and nothing else;
 * - an organisation reads the components it operates, the services delivered to it (a municipality)
 *   or to the municipalities it serves today (a shared-service organisation), and everything those
 *   depend on: its "picture". Names of services delivered to municipalities are public anyway;
 * - a coordinator reads everything.
 * Role decides what an organisation may do beyond reading (vendors see their customers, operators
 * and vendors write their own components, coordinators publish advisories).
 */
/** How much of a component an organisation sees: all of it, or what its operator offers. */
type Sight = 'whole' | 'offered';

/** A component as the picture's rule needs it. */
interface Seen {
  id: string;
  operatorId: string;
  offered: boolean;
}

/**
 * The picture's one rule for a dependency, from a component in the picture (seen `from`, operated
 * by `fromOperatorId`) to `to`: a component seen whole shows what it depends on; from there a
 * component of the same operator or of the organisation's circle (itself and its memberships today)
 * is seen whole too, another operator's component only as far as that operator offers it. From a
 * component seen through an offer, only offered components (and the circle's own) are followed.
 * So a relation that crosses organisations reveals the other side's status, never what stands
 * behind it. Null: not in the picture through this dependency.
 */
function sightThrough(from: Sight, fromOperatorId: string, to: Seen, circle: ReadonlySet<string>): Sight | null {
  const ours = circle.has(to.operatorId);
  if (from !== 'whole' && !to.offered && !ours) return null;
  return from === 'whole' && (to.operatorId === fromOperatorId || ours) ? 'whole' : 'offered';
}

export class AccessScope {
  private sight: Promise<Map<string, Sight>> | null = null;
  private ownCircle: Promise<Set<string>> | null = null;
  /** Components already found in the picture along a route (readablePrefix), with the sight that route gives. */
  private readonly found = new Map<string, Sight>();
  /** What a component depends on now (live dependencies), batched across one request's questions. */
  private readonly dependencies = new DataLoader<string, Seen[]>(async (ids) => {
    const rows: (Seen & { from: string })[] = await this.db.query(
      `SELECT d.component_id AS "from", c.id, c.operator_id AS "operatorId", c.offered
         FROM dependency d JOIN component c ON c.id = d.depends_on_id
        WHERE d.component_id = ANY($1::uuid[]) AND d.removed_at IS NULL`,
      [ids],
    );
    const byFrom = new Map<string, Seen[]>(ids.map((id) => [id, []]));
    for (const row of rows) byFrom.get(row.from)!.push({ id: row.id, operatorId: row.operatorId, offered: row.offered });
    return ids.map((id) => byFrom.get(id)!);
  });
  /** Whether `from` depends on `to` now (a live dependency), keyed `from to`, batched likewise. */
  private readonly liveDependency = new DataLoader<string, boolean>(async (keys) => {
    const pairs = keys.map((key) => key.split(' '));
    const rows: { from: string; to: string }[] = await this.db.query(
      `SELECT component_id AS "from", depends_on_id AS "to"
         FROM dependency
        WHERE removed_at IS NULL
          AND (component_id, depends_on_id) IN (SELECT * FROM unnest($1::uuid[], $2::uuid[]))`,
      [pairs.map(([from]) => from), pairs.map(([, to]) => to)],
    );
    const live = new Set(rows.map((row) => `${row.from} ${row.to}`));
    return keys.map((key) => live.has(key));
  });
  /** Whether a component is one of the picture's roots, batched likewise. */
  private readonly roots = new DataLoader<string, boolean>(async (ids) => {
    const found = new Set((await this.rootsAmong([...ids])).map((root) => root.id));
    return ids.map((id) => found.has(id));
  });

  constructor(private readonly db: EntityManager, readonly viewer: Viewer) {}

  get isCoordinator(): boolean {
    return this.viewer.kind === 'organisation' && this.viewer.role === 'COORDINATOR';
  }

  get organisationId(): string | null {
    return this.viewer.kind === 'organisation' ? this.viewer.organisationId : null;
  }

  /** Refusal with the right code: the public is told to authenticate, an organisation that it may not. */
  denied(what: string): AppError {
    return this.viewer.kind === 'public'
      ? new AppError('UNAUTHENTICATED', `${what} needs a token (Authorization: Bearer …)`)
      : new AppError('FORBIDDEN', `${what} is not for this organisation`);
  }

  requireOrganisation(what: string): void {
    if (this.viewer.kind === 'public') throw this.denied(what);
  }

  requireRole(what: string, ...roles: Role[]): void {
    if (this.viewer.kind === 'public' || !roles.includes(this.viewer.role)) throw this.denied(what);
  }

  /** The ids of every component in this organisation's picture; walked on first use (loadPicture). */
  async visibleComponentIds(): Promise<Set<string>> {
    return new Set((await this.picture()).keys());
  }

  /** The ids of the components it sees whole (versions, exposure, remediation): see mayReadComponentInternals. */
  async wholeComponentIds(): Promise<Set<string>> {
    return new Set([...(await this.picture())].filter(([, sight]) => sight === 'whole').map(([id]) => id));
  }

  /** May know the component exists and read its name and kind. */
  async mayReadComponent(component: Component, isDeliveredService: () => Promise<boolean>): Promise<boolean> {
    if (this.isCoordinator) return true;
    // Names of services delivered to municipalities are public: asked first, it spares the picture.
    if (component.kind === 'SERVICE' && (await isDeliveredService())) return true;
    return this.viewer.kind === 'organisation' && (this.found.has(component.id) || (await this.picture()).has(component.id));
  }

  /**
   * How many components of a dependency path (each depending on the next, as a root cause path),
   * from its start, this organisation may read (mayReadComponent). A path that starts at one of the
   * picture's roots and follows live dependencies is a route of the picture itself, so the picture's
   * rule is applied along it; only where that route stops does the whole picture decide (another
   * route may reach further).
   */
  async readablePrefix(path: readonly Component[], isDeliveredService: (id: string) => Promise<boolean>): Promise<number> {
    if (this.isCoordinator) return path.length;
    let readable = this.viewer.kind === 'organisation' && path.length > 0 ? await this.followedFromRoot(path) : 0;
    while (readable < path.length && (await this.mayReadComponent(path[readable], () => isDeliveredService(path[readable].id)))) readable++;
    return readable;
  }

  /** How far the picture's rule reaches along `path` when it starts at a root; 0 when it does not. */
  private async followedFromRoot(path: readonly Component[]): Promise<number> {
    if (!(await this.roots.load(path[0].id))) return 0;
    const steps = path.slice(1).map((to, i) => `${path[i].id} ${to.id}`);
    const [circle, live] = await Promise.all([this.circle(), this.liveDependency.loadMany(steps)]);
    let sight: Sight = 'whole';
    this.found.set(path[0].id, sight);
    let followed = 1;
    for (; followed < path.length; followed++) {
      const step = live[followed - 1];
      if (step instanceof Error) throw step;
      const next: Sight | null = step ? sightThrough(sight, path[followed - 1].operatorId, path[followed], circle) : null;
      if (next === null) break;
      sight = next;
      if (this.found.get(path[followed].id) !== 'whole') this.found.set(path[followed].id, sight);
    }
    return followed;
  }

  /** May read what is behind the name: status, reports, incidents, the dependencies it may read too. */
  async mayReadComponentDetails(componentId: string): Promise<boolean> {
    if (this.isCoordinator) return true;
    if (this.viewer.kind === 'public') return false;
    return this.found.has(componentId) || (await this.picture()).has(componentId);
  }

  /**
   * May read what only the component's own circle reads: versions, exposure to advisories,
   * remediation. A component seen through an offer or a consented dependency shows its status, not
   * these (docs/access.md, "Consent").
   */
  async mayReadComponentInternals(componentId: string): Promise<boolean> {
    if (this.isCoordinator) return true;
    if (this.viewer.kind === 'public') return false;
    return this.found.get(componentId) === 'whole' || (await this.picture()).get(componentId) === 'whole';
  }

  /**
   * Whether `component` may depend on `dependsOn` now, without a request: a coordinator relates
   * anything; otherwise dependsOn's operator must have consented (dependencyConsented).
   */
  async mayDependWithoutConsent(component: Pick<Component, 'operatorId'>, dependsOn: Pick<Component, 'operatorId' | 'offered'>): Promise<boolean> {
    return this.isCoordinator || this.dependencyConsented(component, dependsOn);
  }

  /**
   * Whether dependsOn's operator consented in advance to `component` depending on it: the same
   * operator, an offered component, or an operator in a membership with the dependant's (a
   * shared-service organisation and the municipalities it serves today). Anything else is a relation
   * request the other operator accepts (docs/access.md, "Consent").
   */
  async dependencyConsented(component: Pick<Component, 'operatorId'>, dependsOn: Pick<Component, 'operatorId' | 'offered'>): Promise<boolean> {
    if (dependsOn.offered || dependsOn.operatorId === component.operatorId) return true;
    return (await this.circleOf(component.operatorId)).has(dependsOn.operatorId);
  }

  /** Whether a service may be delivered to a municipality now, without a request: a coordinator, or deliveryConsented. */
  async mayDeliverWithoutConsent(service: Pick<Component, 'operatorId'>, municipalityId: string): Promise<boolean> {
    return this.isCoordinator || this.deliveryConsented(service, municipalityId);
  }

  /** Whether the municipality consented in advance: its own service, or one of the shared-service organisation that serves it today. */
  async deliveryConsented(service: Pick<Component, 'operatorId'>, municipalityId: string): Promise<boolean> {
    if (service.operatorId === municipalityId) return true;
    return (await this.circleOf(service.operatorId)).has(municipalityId);
  }

  /** Writes to a component: its operator with a writing role (OPERATOR or VENDOR), or a coordinator. */
  requireOperatorOf(component: Pick<Component, 'operatorId'>, what: string): void {
    if (this.isCoordinator) return;
    const viewer = this.viewer;
    const writes = viewer.kind === 'organisation' && (viewer.role === 'OPERATOR' || viewer.role === 'VENDOR');
    if (!writes || viewer.organisationId !== component.operatorId) throw this.denied(what);
  }

  /** The organisation that acts; only after a check that the viewer is one. */
  get actingOrganisationId(): string {
    if (this.viewer.kind !== 'organisation') throw this.denied('Writing');
    return this.viewer.organisationId;
  }

  /**
   * TLP 2.0, one rule for advisories, incidents and incident updates:
   * - CLEAR: everybody, the public included;
   * - GREEN: every organisation;
   * - AMBER: the organisations whose picture contains what it concerns, and those who operate it;
   * - AMBER+STRICT: only the organisations concerned (the operators of what it concerns);
   * - RED: only the organisations it names.
   * The author always reads what it wrote. Coordinators (the national CERT that runs the picture)
   * read everything up to AMBER+STRICT; RED only when named, as TLP means.
   */
  async mayReadLabelled(subject: Labelled): Promise<boolean> {
    if (subject.tlp === 'CLEAR') return true;
    if (this.viewer.kind === 'public') return false;
    const organisationId = this.viewer.organisationId;
    if (subject.authorId === organisationId) return true;
    if (subject.tlp === 'RED') return (await subject.recipientIds()).includes(organisationId);
    if (this.isCoordinator || subject.tlp === 'GREEN') return true;
    if ((await subject.concernedOperatorIds()).includes(organisationId)) return true;
    if (subject.tlp === 'AMBER_STRICT') return false;
    const visible = await this.visibleComponentIds();
    return (await subject.concernedComponentIds()).some((id) => visible.has(id));
  }

  mayReadOrganisation(organisation: Organisation): boolean {
    return this.viewer.kind === 'organisation' || organisation.kind === 'MUNICIPALITY';
  }

  private picture(): Promise<Map<string, Sight>> {
    if (this.sight === null) this.sight = this.loadPicture();
    return this.sight;
  }

  /**
   * The organisation's picture, each component with how much of it the organisation sees: from its
   * roots (rootsAmong), seen whole, every live dependency the rule (sightThrough) follows, level by
   * level, one query per level. A component first reached through an offer and later seen whole is
   * followed again as whole.
   */
  private async loadPicture(): Promise<Map<string, Sight>> {
    if (this.viewer.kind === 'public') return new Map();
    const [circle, roots] = await Promise.all([this.circle(), this.rootsAmong(null)]);
    const sight = new Map<string, Sight>();
    const operatorOf = new Map<string, string>();
    for (const root of roots) {
      sight.set(root.id, 'whole');
      operatorOf.set(root.id, root.operatorId);
    }
    let frontier = [...sight.keys()];
    while (frontier.length > 0) {
      const reached = new Set<string>();
      const dependencies = await this.dependencies.loadMany(frontier);
      frontier.forEach((from, i) => {
        const live = dependencies[i];
        if (live instanceof Error) throw live;
        for (const to of live) {
          const seen = sightThrough(sight.get(from)!, operatorOf.get(from)!, to, circle);
          const had = sight.get(to.id);
          if (seen === null || had === 'whole' || had === seen) continue;
          sight.set(to.id, seen);
          operatorOf.set(to.id, to.operatorId);
          reached.add(to.id);
        }
      });
      frontier = [...reached];
    }
    return sight;
  }

  /**
   * The picture's roots, all of them or those among `candidates`: the organisation's own components,
   * the services delivered to it, and those delivered to the municipalities it serves today.
   */
  private async rootsAmong(candidates: string[] | null): Promise<{ id: string; operatorId: string }[]> {
    return this.db.query(
      `SELECT c.id, c.operator_id AS "operatorId"
         FROM component c
        WHERE c.operator_id = $1 AND ($2::uuid[] IS NULL OR c.id = ANY($2::uuid[]))
       UNION
       SELECT c.id, c.operator_id
         FROM service_delivery sd JOIN component c ON c.id = sd.service_id
        WHERE sd.municipality_id = $1 AND sd.delivered_until IS NULL AND ($2::uuid[] IS NULL OR sd.service_id = ANY($2::uuid[]))
       UNION
       SELECT c.id, c.operator_id
         FROM membership m
         JOIN service_delivery sd ON sd.municipality_id = m.municipality_id AND sd.delivered_until IS NULL
         JOIN component c ON c.id = sd.service_id
        WHERE m.shared_service_organisation_id = $1
          AND m.starts_on <= current_date AND (m.ends_on IS NULL OR m.ends_on >= current_date)
          AND ($2::uuid[] IS NULL OR sd.service_id = ANY($2::uuid[]))`,
      [this.organisationId, candidates],
    );
  }

  private circle(): Promise<Set<string>> {
    if (this.ownCircle === null) this.ownCircle = this.circleOf(this.organisationId!);
    return this.ownCircle;
  }

  /** The organisation itself and those it is in a membership with today. */
  private async circleOf(organisationId: string): Promise<Set<string>> {
    const rows: { id: string }[] = await this.db.query(
      `SELECT CASE WHEN municipality_id = $1 THEN shared_service_organisation_id ELSE municipality_id END AS id
         FROM membership
        WHERE $1 IN (municipality_id, shared_service_organisation_id)
          AND starts_on <= current_date AND (ends_on IS NULL OR ends_on >= current_date)`,
      [organisationId],
    );
    return new Set([organisationId, ...rows.map((row) => row.id)]);
  }
}
