import { AccessScope } from '../../src/modules/access';
import type { Component } from '../../src/modules/component';
import { factories } from '../helpers/factories';
import { openTestDatabase, TestDatabase } from '../helpers/database';

/**
 * An organisation's picture (AccessScope, docs/access.md) on random registers: operators, offers,
 * memberships today and ended, deliveries, dependencies live and removed. The scope's picture is
 * compared with the statement written out in full here (the oracle), and the readable part of random dependency paths (a root cause path, decided along the path where
 * it can be) with what the whole picture says of each component.
 */
const SEEDS = [1, 2, 3];
const ORACLE = `
  WITH RECURSIVE circle(id) AS (
    SELECT $1::uuid
    UNION
    SELECT CASE WHEN m.municipality_id = $1 THEN m.shared_service_organisation_id ELSE m.municipality_id END
      FROM membership m
     WHERE $1 IN (m.municipality_id, m.shared_service_organisation_id)
       AND m.starts_on <= current_date AND (m.ends_on IS NULL OR m.ends_on >= current_date)
  ), roots(id) AS (
    SELECT id FROM component WHERE operator_id = $1
    UNION
    SELECT service_id FROM service_delivery WHERE municipality_id = $1 AND delivered_until IS NULL
    UNION
    SELECT sd.service_id
      FROM membership m JOIN service_delivery sd ON sd.municipality_id = m.municipality_id AND sd.delivered_until IS NULL
     WHERE m.shared_service_organisation_id = $1
       AND m.starts_on <= current_date AND (m.ends_on IS NULL OR m.ends_on >= current_date)
  ), picture(id, operator_id, whole) AS (
    SELECT c.id, c.operator_id, true FROM roots r JOIN component c ON c.id = r.id
    UNION
    SELECT b.id, b.operator_id, p.whole AND (b.operator_id = p.operator_id OR b.operator_id IN (SELECT id FROM circle))
      FROM picture p
      JOIN dependency d ON d.component_id = p.id AND d.removed_at IS NULL
      JOIN component b ON b.id = d.depends_on_id
     WHERE p.whole OR b.offered OR b.operator_id IN (SELECT id FROM circle)
  )
  SELECT id, bool_or(whole) AS whole FROM picture GROUP BY id`;

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db.close();
});

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test.each(SEEDS)('the picture and the readable part of dependency paths agree with the picture statement (seed %i)', async (seed) => {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const f = factories(db.dataSource.manager);
  const municipalities = [await f.organisation('MUNICIPALITY'), await f.organisation('MUNICIPALITY'), await f.organisation('MUNICIPALITY')];
  const shared = await f.organisation('SHARED_SERVICE_ORGANISATION');
  const vendors = [await f.organisation('VENDOR'), await f.organisation('VENDOR')];
  const organisations = [...municipalities, shared, ...vendors];
  await db.dataSource.query(
    `INSERT INTO membership (shared_service_organisation_id, municipality_id, starts_on, ends_on)
     VALUES ($1, $2, '2019-01-01', NULL), ($1, $3, '2019-01-01', NULL), ($1, $4, '2019-01-01', '2020-01-01')`,
    [shared.id, municipalities[0].id, municipalities[1].id, municipalities[2].id],
  );

  const components: Component[] = [];
  for (let i = 0; i < 36; i++) {
    const operator = pick(organisations);
    const offered = random() < 0.3;
    components.push(i % 4 === 0
      ? await f.service(operator.id, municipalities.filter(() => random() < 0.5).map((m) => m.id), { offered })
      : await f.component(operator.id, pick(['APPLICATION', 'GATEWAY', 'INFRASTRUCTURE'] as const), { offered }));
  }
  // A random acyclic register: a component depends only on components registered after it.
  const edges = new Map<string, string[]>();
  for (let i = 0; i < components.length - 1; i++) {
    const targets = new Set<number>();
    for (let k = 0; k < 3; k++) if (random() < 0.7) targets.add(i + 1 + Math.floor(random() * (components.length - i - 1)));
    for (const j of targets) {
      await f.dependency(components[i].id, components[j].id);
      edges.set(components[i].id, [...(edges.get(components[i].id) ?? []), components[j].id]);
    }
  }
  // Some dependencies ended: paths through them (a root cause of the past) must not count as routes.
  await db.dataSource.query(
    `UPDATE dependency SET removed_at = now() WHERE id IN (
       SELECT id FROM dependency WHERE component_id = ANY($1::uuid[]) ORDER BY id LIMIT 12)`,
    [components.map((c) => c.id)],
  );
  const delivered = new Set<string>((await db.dataSource.query(
    `SELECT DISTINCT service_id FROM service_delivery WHERE delivered_until IS NULL AND service_id = ANY($1::uuid[])`,
    [components.map((c) => c.id)],
  )).map((row: { service_id: string }) => row.service_id));

  for (const organisation of organisations) {
    const viewer = { kind: 'organisation' as const, organisationId: organisation.id, role: 'OPERATOR' as const, tokenId: 'access-picture' };
    const oracle = new Map<string, boolean>((await db.dataSource.query(ORACLE, [organisation.id])).map((row: { id: string; whole: boolean }) => [row.id, row.whole]));

    const scope = new AccessScope(db.dataSource.manager, viewer);
    expect([...(await scope.visibleComponentIds())].sort()).toEqual([...oracle.keys()].sort());
    expect([...(await scope.wholeComponentIds())].sort()).toEqual([...oracle].filter(([, whole]) => whole).map(([id]) => id).sort());

    for (let walk = 0; walk < 12; walk++) {
      const path = [pick(components)];
      while (path.length < 5 && (edges.get(path[path.length - 1].id) ?? []).length > 0) {
        const nextId = pick(edges.get(path[path.length - 1].id)!);
        path.push(components.find((c) => c.id === nextId)!);
      }
      let expected = 0;
      while (expected < path.length && (oracle.has(path[expected].id) || (path[expected].kind === 'SERVICE' && delivered.has(path[expected].id)))) expected++;
      // A fresh scope, so the path is decided along the path before the whole picture is loaded.
      const fresh = new AccessScope(db.dataSource.manager, viewer);
      expect(await fresh.readablePrefix(path, async (id) => delivered.has(id))).toBe(expected);
      for (const component of path.slice(0, expected)) expect(await fresh.mayReadComponentDetails(component.id)).toBe(oracle.has(component.id));
    }
  }
});
