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
export class AccessScope {
  private visible: Promise<Set<string>> | null = null;

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

  /** The ids of every component in this organisation's picture; one recursive query, made on first use. */
  visibleComponentIds(): Promise<Set<string>> {
    if (this.visible === null) this.visible = this.loadVisible();
    return this.visible;
  }

  /** May know the component exists and read its name and kind. */
  async mayReadComponent(component: Component, isDeliveredService: () => Promise<boolean>): Promise<boolean> {
    if (this.isCoordinator) return true;
    if (this.viewer.kind === 'organisation' && (await this.visibleComponentIds()).has(component.id)) return true;
    return component.kind === 'SERVICE' && isDeliveredService();
  }

  /** May read what is behind the name: status, reports, dependencies, incidents. */
  async mayReadComponentDetails(componentId: string): Promise<boolean> {
    if (this.isCoordinator) return true;
    if (this.viewer.kind === 'public') return false;
    return (await this.visibleComponentIds()).has(componentId);
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

  private async loadVisible(): Promise<Set<string>> {
    if (this.viewer.kind === 'public') return new Set();
    const rows: { id: string }[] = await this.db.query(
      `WITH RECURSIVE roots(id) AS (
         SELECT id FROM component WHERE operator_id = $1
         UNION
         SELECT service_id FROM service_delivery WHERE municipality_id = $1
         UNION
         SELECT sd.service_id
           FROM membership m JOIN service_delivery sd ON sd.municipality_id = m.municipality_id
          WHERE m.shared_service_organisation_id = $1
            AND m.starts_on <= current_date AND (m.ends_on IS NULL OR m.ends_on >= current_date)
       ), picture(id) AS (
         SELECT id FROM roots
         UNION
         SELECT d.depends_on_id FROM dependency d JOIN picture p ON d.component_id = p.id WHERE d.removed_at IS NULL
       )
       SELECT id FROM picture`,
      [this.viewer.organisationId],
    );
    return new Set(rows.map((row) => row.id));
  }
}
