import { Component } from '../../src/modules/component';
import { componentRepository } from '../../src/modules/component/component.repository';
import { openTestDatabase, TestDatabase } from '../helpers/database';
import { factories } from '../helpers/factories';

/**
 * Components are read by id with plain SQL (the most-read rows of every request); each must come out
 * exactly as TypeORM's own mapping of the entity gives it, moments and nulls included.
 */
let db: TestDatabase;

beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db.close();
});

test('components read by id equal the entity as TypeORM maps it', async () => {
  const manager = db.dataSource.manager;
  const f = factories(manager);
  const operator = await f.organisation('SHARED_SERVICE_ORGANISATION');
  const gateway = await f.component(operator.id, 'GATEWAY');
  const service = await f.service(operator.id, []);
  await manager.update(Component, gateway.id, {
    productVendor: 'Citrix', product: 'ADC', version: '13.0.47.24', internetFacing: true, heartbeatSeconds: 300,
    retiredAt: new Date('2020-01-19T23:59:59.123Z'),
  });

  const read = await componentRepository.findByIds(manager, [gateway.id, service.id, '00000000-0000-4000-8000-000000000000']);
  const byTypeOrm = await manager.findBy(Component, [{ id: gateway.id }, { id: service.id }]);
  expect(read).toHaveLength(2);
  for (const expected of byTypeOrm) {
    const actual = read.find((c) => c.id === expected.id)!;
    expect(actual).toBeInstanceOf(Component);
    expect(actual).toEqual(expected);
    expect(actual.createdAt).toBeInstanceOf(Date);
  }
  const retired = read.find((c) => c.id === gateway.id)!;
  expect(retired.retiredAt?.toISOString()).toBe('2020-01-19T23:59:59.123Z');
  expect(retired.heartbeatSeconds).toBe(300);
  expect(read.find((c) => c.id === service.id)!.retiredAt).toBeNull();
});
