import { Client } from 'pg';
import { createDataSource, migrate } from '../../src/db/data-source';
import { benchServerUrl } from '../harness/bench-postgres';
import { copyRows } from './copy';
import { describe, generateDataset } from './dataset';
import type { Dataset } from './rows';

/** Bump when the generator's output changes, so a cached database of the old shape is rebuilt. */
// 5: PinkRoccade Local Government runs a gateway per hosted customer environment (455 at scale 1), for W7.
export const GENERATOR_VERSION = 5;

/** The benchmark's own cluster (harness/bench-postgres.ts), never the machine's main one. */
export const SERVER_URL = benchServerUrl();

export function databaseName(scale: number, seed: number): string {
  return `bench_s${String(scale).replace('.', '_')}_seed${seed}`;
}

export function databaseUrl(name: string): string {
  return `${SERVER_URL}/${name}`;
}

function fingerprint(scale: number, seed: number): string {
  return `ketenbeeld bench dataset v${GENERATOR_VERSION} scale=${scale} seed=${seed}`;
}

/** Work on the server's `postgres` database: creating and dropping benchmark databases, statistics, settings. */
export async function withAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** True when `name` exists and holds the dataset of this generator version, scale and seed. */
async function isCurrent(name: string, scale: number, seed: number): Promise<boolean> {
  return withAdmin(async (admin) => {
    const { rows } = await admin.query<{ comment: string | null }>(
      `SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1`, [name]);
    return rows.length === 1 && rows[0].comment === fingerprint(scale, seed);
  });
}

export interface LoadedDataset {
  name: string;
  url: string;
  counts: Record<string, number> | null;
  reused: boolean;
  seconds: { generate: number; load: number };
}

/**
 * A database holding the dataset for (scale, seed): reused when it is already there (the fingerprint
 * is the database's comment), otherwise created fresh, migrated with the project's own migrations
 * and filled with COPY.
 */
export async function ensureDataset(scale: number, seed: number, options: { fresh?: boolean; log?: (line: string) => void } = {}): Promise<LoadedDataset> {
  const log = options.log ?? (() => {});
  const name = databaseName(scale, seed);
  const url = databaseUrl(name);
  if (!options.fresh && (await isCurrent(name, scale, seed))) {
    log(`dataset: reusing ${name}`);
    return { name, url, counts: null, reused: true, seconds: { generate: 0, load: 0 } };
  }
  let started = Date.now();
  const dataset = generateDataset(scale, seed);
  const generate = (Date.now() - started) / 1000;
  const counts = describe(dataset);
  log(`dataset: generated in ${generate.toFixed(1)} s: ${JSON.stringify(counts)}`);
  started = Date.now();
  await createDatabase(name);
  await migrateDatabase(url);
  await copyDataset(url, dataset);
  await withAdmin((admin) => admin.query(`COMMENT ON DATABASE ${name} IS '${fingerprint(scale, seed)}'`));
  const load = (Date.now() - started) / 1000;
  log(`dataset: created, migrated and loaded ${name} in ${load.toFixed(1)} s`);
  return { name, url, counts, reused: false, seconds: { generate, load } };
}

/**
 * A run that wrote (W4, W5) leaves reports the generator did not make: change the fingerprint so the
 * next run rebuilds the dataset instead of measuring on top of them.
 */
export async function markWritten(name: string, scale: number, seed: number): Promise<void> {
  await withAdmin((admin) => admin.query(`COMMENT ON DATABASE ${name} IS '${fingerprint(scale, seed)}, written to by a benchmark'`));
}

async function createDatabase(name: string): Promise<void> {
  if (!/^bench_[a-z0-9_]+$/.test(name)) throw new Error(`refusing to touch database ${name}: benchmarks use bench_* only`);
  await withAdmin(async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  });
}

/** The schema comes from the project's migrations, never from DDL written here. */
async function migrateDatabase(url: string): Promise<void> {
  const dataSource = createDataSource({ url, poolSize: 2 });
  await dataSource.initialize();
  try {
    await migrate(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

async function copyDataset(url: string, d: Dataset): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    // The generator's rows are consistent by construction; skipping the per-row foreign-key triggers
    // is what makes a million edges load in seconds. Constraints and indexes still apply.
    await client.query(`SET session_replication_role = replica`);
    await copyRows(client, 'organisation', ['id', 'kind', 'name', 'cbs_code', 'population', 'website'], d.organisations,
      (o) => [o.id, o.kind, o.name, o.cbsCode, o.population, o.website]);
    await copyRows(client, 'membership', ['id', 'shared_service_organisation_id', 'municipality_id', 'starts_on'], d.memberships,
      (m) => [m.id, m.sharedServiceOrganisationId, m.municipalityId, m.startsOn]);
    await copyRows(client, 'component',
      ['id', 'kind', 'operator_id', 'name', 'product_vendor', 'product', 'version', 'internet_facing', 'audience', 'heartbeat_seconds', 'offered'],
      d.components, (c) => [c.id, c.kind, c.operatorId, c.name, c.productVendor, c.product, c.version, c.internetFacing, c.audience, c.heartbeatSeconds, c.offered]);
    // Delivered since always ('-infinity', as the migration that introduced the column counts deliveries it found).
    await copyRows(client, 'service_delivery', ['service_id', 'municipality_id', 'delivered_from'], d.deliveries, (s) => [s.serviceId, s.municipalityId, '-infinity']);
    await copyRows(client, 'dependency', ['id', 'component_id', 'depends_on_id', 'kind', 'redundancy_group', 'added_at', 'removed_at'],
      d.dependencies, (e) => [e.id, e.componentId, e.dependsOnId, e.kind, e.redundancyGroup, e.addedAt, e.removedAt]);
    await copyRows(client, 'status_report', ['id', 'component_id', 'status', 'cause', 'observed_at', 'reporter_id', 'source'],
      d.statusReports, (r) => [r.id, r.componentId, r.status, r.cause, r.observedAt, r.reporterId, r.source]);
    await copyRows(client, 'advisory', ['id', 'reference', 'title', 'publisher_id', 'published_at', 'cve_ids', 'cvss_score', 'advice'],
      d.advisories, (a) => [a.id, a.reference, a.title, a.publisherId, a.publishedAt, a.cveIds, a.cvssScore, a.advice]);
    await copyRows(client, 'advisory_affected_product', ['id', 'advisory_id', 'product_vendor', 'product', 'version_from', 'version_to'],
      d.affectedProducts, (p) => [p.id, p.advisoryId, p.productVendor, p.product, p.versionFrom, p.versionTo]);
    await client.query(`RESET session_replication_role`);
    // Autovacuum is off on this machine: without statistics every plan would be a guess.
    await client.query(`VACUUM (ANALYZE)`);
  } finally {
    await client.end();
  }
}
