import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Component, Dependency, ServiceDelivery } from '../../src/modules/component';
import type { Audience, ComponentKind, DependencyKind } from '../../src/modules/component';
import { Organisation } from '../../src/modules/organisation';
import type { OrganisationKind } from '../../src/modules/organisation';
import { pictureKeeper } from '../../src/modules/picture';
import { StatusReport } from '../../src/modules/status';
import type { ReportedStatus, StatusCause } from '../../src/modules/status';

let counter = 0;
const next = () => ++counter;

/** Since when test data says things were registered, unless a test says otherwise. */
export const REGISTERED = new Date('2019-01-01T00:00:00Z');

/**
 * Small builders for test data. Each writes its facts the way the API's writes do (the fact, then
 * the picture keeper takes it in, in one transaction), but with the moments the test gives, and
 * returns the row it inserted.
 */
export function factories(db: EntityManager) {
  const write = <T>(work: (tx: EntityManager) => Promise<T>) => db.transaction(work);
  return {
    async organisation(kind: OrganisationKind = 'SHARED_SERVICE_ORGANISATION', extra: Partial<Organisation> = {}): Promise<Organisation> {
      const n = next();
      const row = {
        id: randomUUID(), kind, name: `Organisation ${n}`, website: null,
        cbsCode: kind === 'MUNICIPALITY' ? `GM${String(9000 + (n % 1000)).padStart(4, '0')}` : null,
        population: kind === 'MUNICIPALITY' ? 10_000 + n : null,
        ...extra,
      };
      await db.insert(Organisation, row);
      return db.findOneByOrFail(Organisation, { id: row.id });
    },

    async component(operatorId: string, kind: ComponentKind = 'APPLICATION', extra: Partial<Component> = {}): Promise<Component> {
      const row = {
        id: randomUUID(), kind, operatorId, name: `${kind.toLowerCase()} ${next()}`, description: null,
        productVendor: kind === 'GATEWAY' ? 'Citrix' : null,
        product: kind === 'GATEWAY' ? 'ADC' : null,
        version: kind === 'GATEWAY' ? '12.1.50.28' : null,
        internetFacing: kind === 'GATEWAY' ? true : null,
        audience: kind === 'SERVICE' ? ('RESIDENTS' as Audience) : null,
        heartbeatSeconds: null,
        createdAt: REGISTERED,
        ...extra,
      };
      await write(async (tx) => {
        await tx.insert(Component, row);
        await tx.query(
          `INSERT INTO component_revision (component_id, revision, valid_from, name, product_vendor, product, version, internet_facing, audience)
           SELECT id, revision, created_at, name, product_vendor, product, version, internet_facing, audience FROM component WHERE id = $1`, [row.id]);
        if (row.heartbeatSeconds !== null) {
          await tx.query(`INSERT INTO heartbeat_promise (component_id, valid_from, heartbeat_seconds) VALUES ($1, $2, $3)`, [row.id, REGISTERED, row.heartbeatSeconds]);
        }
        await pictureKeeper.componentRegistered(tx, {
          id: row.id, kind: row.kind, audience: row.audience,
          heartbeat: row.heartbeatSeconds === null ? null : { seconds: row.heartbeatSeconds, from: REGISTERED.getTime() },
        });
      });
      return db.findOneByOrFail(Component, { id: row.id });
    },

    async service(operatorId: string, municipalityIds: string[], extra: Partial<Component> = {}): Promise<Component> {
      const service = await this.component(operatorId, 'SERVICE', extra);
      for (const municipalityId of municipalityIds) {
        await db.insert(ServiceDelivery, { id: randomUUID(), serviceId: service.id, municipalityId, deliveredFrom: REGISTERED, deliveredUntil: null });
      }
      return service;
    },

    async dependency(componentId: string, dependsOnId: string, kind: DependencyKind = 'REQUIRED', redundancyGroup: string | null = null, addedAt = REGISTERED) {
      const id = randomUUID();
      await write(async (tx) => {
        await tx.insert(Dependency, { id, componentId, dependsOnId, kind, redundancyGroup, addedAt, removedAt: null });
        await pictureKeeper.dependenciesChanged(tx, componentId, [{ componentId, dependsOnId, kind, redundancyGroup }], [], new Date(), addedAt);
      });
      return id;
    },

    async report(componentId: string, reporterId: string, status: ReportedStatus, observedAt: Date | string, cause: StatusCause | null = status === 'OPERATIONAL' ? null : 'FAILURE') {
      const id = randomUUID();
      await write(async (tx) => {
        await tx.insert(StatusReport, {
          id, componentId, reporterId, status, cause, observedAt: new Date(observedAt),
          source: 'test', note: null, reportedBy: null, idempotencyKey: null,
        });
        const [{ seq }]: { seq: string }[] = await tx.query('SELECT seq FROM status_report WHERE id = $1', [id]);
        const fact = { id, componentId, status, cause, observedAt: new Date(observedAt), seq: Number(seq) };
        await pictureKeeper.reportStored(tx, fact, new Date());
      });
      return id;
    },
  };
}
