import DataLoader from 'dataloader';
import { EntityManager } from 'typeorm';
import { AppError } from '../../errors';
import type { Component } from '../component';
import type { Organisation } from '../organisation';
import type { Labelled } from '../../common/tlp';
import { queryNamed } from '../../db/named-statements';
import { uuidArrayLiteral } from '../../db/uuid-array';
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

/*
 * The picture in SQL, in pieces that the picture's walk and the check of a path share, so that each
 * rule is written once. $1 is the organisation.
 */

/** Its circle: itself and the organisations it is in a membership with today. */
const CIRCLE = `circle(id) AS (
    SELECT $1::uuid
    UNION
    SELECT CASE WHEN m.municipality_id = $1 THEN m.shared_service_organisation_id ELSE m.municipality_id END
      FROM membership m
     WHERE $1 IN (m.municipality_id, m.shared_service_organisation_id)
       AND m.starts_on <= current_date AND (m.ends_on IS NULL OR m.ends_on >= current_date)
  )`;

/**
 * Its roots, all of them or those among $2 (null: all): its own components, the services delivered
 * to it, and those delivered to the municipalities it serves today. (`IN (SELECT unnest(…))`, not
 * `= ANY(…)`: PostgreSQL would estimate every element of a long list while planning.)
 */
const ROOTS = `roots(id) AS (
    SELECT id FROM component WHERE operator_id = $1 AND ($2::uuid[] IS NULL OR id IN (SELECT unnest($2::uuid[])))
    UNION
    SELECT service_id FROM service_delivery
     WHERE municipality_id = $1 AND delivered_until IS NULL AND ($2::uuid[] IS NULL OR service_id IN (SELECT unnest($2::uuid[])))
    UNION
    SELECT sd.service_id
      FROM membership m JOIN service_delivery sd ON sd.municipality_id = m.municipality_id AND sd.delivered_until IS NULL
     WHERE m.shared_service_organisation_id = $1
       AND m.starts_on <= current_date AND (m.ends_on IS NULL OR m.ends_on >= current_date)
       AND ($2::uuid[] IS NULL OR sd.service_id IN (SELECT unnest($2::uuid[])))
  )`;

/**
 * The rule for one live dependency, from `p` (in the picture: id, operator_id, whole) to the
 * component `b` (operator_id, offered). From a component seen whole, everything it depends on is
 * in the picture; seen whole too when it has the same operator or belongs to the circle, otherwise
 * seen as offered. From a component seen through an offer, only offered components and the
 * circle's own are followed. So a relation that crosses organisations reveals the other side's
 * status, never what stands behind it.
 */
const FOLLOWED = `(p.whole OR b.offered OR b.operator_id IN (SELECT id FROM circle))`;
const SEEN_WHOLE = `(p.whole AND (b.operator_id = p.operator_id OR b.operator_id IN (SELECT id FROM circle)))`;

export class AccessScope {
  private sight: Promise<Map<string, Sight>> | null = null;
  /** Components already found in the picture along a route (readablePrefix), with the sight that route gives. */
  private readonly found = new Map<string, Sight>();
  /**
   * How far the rule reaches along each path (component ids, each depending on the next) that starts
   * at a root: the sight at each step it reaches, none when the path does not start at a root.
   * Batched across one request's paths; keyed by the ids joined with spaces. The rule is asked once
   * per distinct step (hop) of all those paths, for either sight at its start (FOLLOWED and
   * SEEN_WHOLE with `p.whole` true and false), and each path then goes from hop to hop: the paths of
   * a municipality's services share most of their hops (its gateways, the applications behind them).
   */
  private readonly alongPaths = new DataLoader<string, Sight[]>(async (keys) => {
    const paths = keys.map((key) => key.split(' '));
    const heads = [...new Set(paths.map((ids) => ids[0]))];
    const hopOf = new Map<string, number>();
    const hops: { from: string; to: string }[] = [];
    // Per path, the index of each of its hops in `hops`.
    const hopsOfPath = paths.map((ids) => {
      const indices: number[] = [];
      for (let i = 1; i < ids.length; i++) {
        const key = `${ids[i - 1]} ${ids[i]}`;
        let index = hopOf.get(key);
        if (index === undefined) {
          index = hops.length;
          hopOf.set(key, index);
          hops.push({ from: ids[i - 1], to: ids[i] });
        }
        indices.push(index);
      }
      return indices;
    });
    const rows = await queryNamed<{ root: string | null; hop: number | null; from_whole: boolean | null; followed: boolean | null; whole: boolean | null }>(
      this.db, 'ketenbeeld_paths_followed',
      `WITH ${CIRCLE}, ${ROOTS},
       hop(n, from_id, to_id) AS (SELECT n - 1, f, t FROM unnest($3::uuid[], $4::uuid[]) WITH ORDINALITY AS h(f, t, n))
       SELECT id AS root, NULL::int AS hop, NULL::boolean AS from_whole, NULL::boolean AS followed, NULL::boolean AS whole FROM roots
       UNION ALL
       SELECT NULL, h.n, p.whole, ${FOLLOWED}, ${SEEN_WHOLE}
         FROM hop h
         JOIN dependency d ON d.component_id = h.from_id AND d.depends_on_id = h.to_id AND d.removed_at IS NULL
         JOIN component a ON a.id = h.from_id
         JOIN component b ON b.id = h.to_id
         -- The component a hop starts from, seen whole or as offered.
         CROSS JOIN LATERAL (SELECT sight.whole, a.operator_id FROM (VALUES (true), (false)) AS sight(whole)) p`,
      [this.organisationId, uuidArrayLiteral(heads), uuidArrayLiteral(hops.map((hop) => hop.from)), uuidArrayLiteral(hops.map((hop) => hop.to))],
    );
    const roots = new Set<string>();
    // Per hop, the sight at its end for either sight at its start; null: the rule does not follow it.
    const next = hops.map(() => ({ whole: null as Sight | null, offered: null as Sight | null }));
    for (const row of rows) {
      if (row.root !== null) roots.add(row.root);
      else next[row.hop!][row.from_whole ? 'whole' : 'offered'] = row.followed ? (row.whole ? 'whole' : 'offered') : null;
    }
    return paths.map((ids, path) => {
      if (!roots.has(ids[0])) return [];
      const sights: Sight[] = ['whole'];
      for (const hop of hopsOfPath[path]) {
        const sight = next[hop][sights[sights.length - 1]];
        if (sight === null) break;
        sights.push(sight);
      }
      return sights;
    });
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

  /** The ids of every component in this organisation's picture; one recursive statement, made on first use. */
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
    let readable = this.followsRoutes && path.length > 0 ? await this.followedFromRoot(path) : 0;
    while (readable < path.length && (await this.mayReadComponent(path[readable], () => isDeliveredService(path[readable].id)))) readable++;
    return readable;
  }

  /**
   * Starts the check of paths (component ids) that readablePrefix will be asked about, so that its
   * statement runs while the paths' components are fetched instead of after them. Nothing is
   * decided here: readablePrefix takes the answer (or its error) when it asks for the same path.
   */
  expectPaths(paths: readonly (readonly string[])[]): void {
    if (this.isCoordinator || !this.followsRoutes) return;
    for (const ids of paths) {
      if (ids.length > 0) this.alongPaths.load(ids.join(' ')).catch(() => undefined);
    }
  }

  /** Whether paths are followed along the picture's routes: only an organisation has a picture. */
  private get followsRoutes(): boolean {
    return this.viewer.kind === 'organisation';
  }

  /** How far the picture's rule reaches along `path` when it starts at a root; 0 when it does not. */
  private async followedFromRoot(path: readonly Component[]): Promise<number> {
    const sights = await this.alongPaths.load(path.map((component) => component.id).join(' '));
    sights.forEach((sight, i) => {
      if (this.found.get(path[i].id) !== 'whole') this.found.set(path[i].id, sight);
    });
    return sights.length;
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
   * roots, seen whole, every live dependency the rule (FOLLOWED, SEEN_WHOLE) follows.
   */
  private async loadPicture(): Promise<Map<string, Sight>> {
    if (this.viewer.kind === 'public') return new Map();
    const rows: { id: string; whole: boolean }[] = await this.db.query(
      `WITH RECURSIVE ${CIRCLE}, ${ROOTS},
       picture(id, operator_id, whole) AS (
         SELECT c.id, c.operator_id, true
           FROM roots r CROSS JOIN LATERAL (SELECT id, operator_id FROM component WHERE id = r.id OFFSET 0) c
         UNION
         SELECT b.id, b.operator_id, ${SEEN_WHOLE}
           FROM picture p
          -- Probe each row's dependencies and their components through the indexes (LATERAL … OFFSET 0):
          -- the planner, misjudging the recursion's size, would otherwise hash the whole dependency and
          -- component tables on every request.
          CROSS JOIN LATERAL (
            SELECT c.id, c.operator_id, c.offered
              FROM dependency d JOIN component c ON c.id = d.depends_on_id
             WHERE d.component_id = p.id AND d.removed_at IS NULL OFFSET 0
          ) b
          WHERE ${FOLLOWED}
       )
       SELECT id, bool_or(whole) AS whole FROM picture GROUP BY id`,
      [this.organisationId, null],
    );
    return new Map(rows.map((row) => [row.id, row.whole ? 'whole' : 'offered']));
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
