import { randomUUID } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { Component, Dependency, ServiceDelivery } from '../../src/modules/component';
import type { Audience, ComponentKind, DependencyKind } from '../../src/modules/component';
import { Organisation } from '../../src/modules/organisation';
import type { OrganisationKind } from '../../src/modules/organisation';
import { StatusReport } from '../../src/modules/status';
import type { ReportedStatus, StatusCause } from '../../src/modules/status';

let counter = 0;
const next = () => ++counter;

/** Small builders for test data. Each returns the row it inserted. */
export function factories(db: EntityManager) {
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
        ...extra,
      };
      await db.insert(Component, row);
      return db.findOneByOrFail(Component, { id: row.id });
    },

    async service(operatorId: string, municipalityIds: string[], extra: Partial<Component> = {}): Promise<Component> {
      const service = await this.component(operatorId, 'SERVICE', extra);
      for (const municipalityId of municipalityIds) await db.insert(ServiceDelivery, { serviceId: service.id, municipalityId });
      return service;
    },

    async dependency(componentId: string, dependsOnId: string, kind: DependencyKind = 'REQUIRED', redundancyGroup: string | null = null, addedAt = new Date('2019-01-01T00:00:00Z')) {
      await db.insert(Dependency, { id: randomUUID(), componentId, dependsOnId, kind, redundancyGroup, addedAt, removedAt: null });
    },

    async report(componentId: string, reporterId: string, status: ReportedStatus, observedAt: Date | string, cause: StatusCause | null = status === 'OPERATIONAL' ? null : 'FAILURE') {
      await db.insert(StatusReport, {
        id: randomUUID(), componentId, reporterId, status, cause, observedAt: new Date(observedAt),
        source: 'test', note: null, reportedBy: null, idempotencyKey: null,
      });
    },
  };
}
