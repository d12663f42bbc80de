import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { migrations } from '../../migrations';
import { withDatabase } from '../helpers/global-setup';
import { buildServer, removeBuild, ServerProcess } from '../helpers/server-process';

/**
 * The built server as operators start it (`node dist/src/main.js`): several instances at once on
 * an empty database, SIGTERM, and traces sent to an OpenTelemetry collector.
 */
const OUT_DIR = '.build/instances';
let mainJs: string;

beforeAll(() => {
  mainJs = buildServer(OUT_DIR);
}, 120_000);
afterAll(() => removeBuild(OUT_DIR));

const common = { PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', NODE_ENV: 'production' };

/** An OTLP/HTTP receiver on 127.0.0.1 that keeps the spans it is sent (JSON, as exporter-trace-otlp-http sends them). */
async function collector() {
  const spans: { scope: string; name: string }[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          resourceSpans: { scopeSpans: { scope: { name: string }; spans: { name: string }[] }[] }[];
        };
        for (const resource of body.resourceSpans) {
          for (const scope of resource.scopeSpans) spans.push(...scope.spans.map((span) => ({ scope: scope.scope.name, name: span.name })));
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { spans, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

test('with OTEL_EXPORTER_OTLP_ENDPOINT set, a request is traced through HTTP, Express, GraphQL and pg to the collector', async () => {
  const otlp = await collector();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ketenbeeld-traces-'));
  const database = process.env.DATABASE_URL ? await emptyDatabase() : null;
  const server = ServerProcess.spawn(mainJs, {
    ...common, DATA_DIR: dataDir, DATABASE_URL: database?.url ?? '', SHUTDOWN_DELAY_SECONDS: '0',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_SERVICE_NAME: 'ketenbeeld-test', OTEL_BSP_SCHEDULE_DELAY: '100',
  });
  try {
    const url = await server.ready(90_000);
    const answer = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ municipality(cbsCode: "GM0534") { name } }' }) });
    expect((await answer.json() as any).data.municipality.name).toBe('Hillegom');
    const scopes = ['@opentelemetry/instrumentation-http', '@opentelemetry/instrumentation-express', '@opentelemetry/instrumentation-graphql', '@opentelemetry/instrumentation-pg'];
    const deadline = Date.now() + 10_000;
    while (!scopes.every((scope) => otlp.spans.some((span) => span.scope === scope)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect([...new Set(otlp.spans.map((span) => span.scope))]).toEqual(expect.arrayContaining(scopes));
    expect(otlp.spans.map((span) => span.name)).toEqual(expect.arrayContaining([expect.stringMatching(/^POST/), expect.stringMatching(/^query/)]));
  } finally {
    expect(await server.stop()).toBe(0);
    await otlp.close();
    await database?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}, 150_000);

const onServer = process.env.DATABASE_URL ? describe : describe.skip;

onServer('several instances on one PostgreSQL server', () => {
  test('three instances started at once on an empty database all come up: migrations, demo and first token once', async () => {
    const database = await emptyDatabase();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ketenbeeld-instances-'));
    const servers = [0, 1, 2].map((i) => ServerProcess.spawn(mainJs, {
      ...common, DATABASE_URL: database.url, DATA_DIR: path.join(dataDir, String(i)), SHUTDOWN_DELAY_SECONDS: '1',
    }));
    try {
      const urls = await Promise.all(servers.map((server) => server.ready(90_000)));
      for (const url of urls) expect((await fetch(url.replace('/graphql', '/readyz'))).status).toBe(200);
      const counts = await database.query(`SELECT
          (SELECT count(*)::int FROM typeorm_migration) AS migrations,
          (SELECT count(*)::int FROM organisation WHERE name = 'Hillegom') AS hillegom,
          (SELECT count(*)::int FROM access_token) AS tokens`);
      expect(counts).toEqual({ migrations: migrations.length, hillegom: 1, tokens: 1 });

      // SIGTERM: not ready first, still serving meanwhile (SHUTDOWN_DELAY_SECONDS), then gone.
      const [first] = servers;
      first.signal('SIGTERM');
      await first.waitForLine((line) => line.msg?.startsWith('stopping') ?? false, 5000, 'stopping line');
      const readiness = await fetch(urls[0].replace('/graphql', '/readyz'));
      expect([readiness.status, await readiness.json()]).toEqual([503, { status: 'draining' }]);
      const stillServing = await fetch(urls[0], { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      expect(stillServing.status).toBe(200);
      expect(stillServing.headers.get('connection')).toBe('close');
      expect(await first.whenExited()).toBe(0);
    } finally {
      for (const server of servers) await server.stop();
      await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 150_000);
});

/** A database of its own on DATABASE_URL's server, with nothing in it. */
async function emptyDatabase() {
  const serverUrl = process.env.DATABASE_URL!;
  const name = `ketenbeeld_empty_${randomBytes(6).toString('hex')}`;
  const admin = async <T>(work: (client: Client) => Promise<T>) => {
    const client = new Client({ connectionString: serverUrl });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  };
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = withDatabase(serverUrl, name);
  return {
    url,
    async query(sql: string) {
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(sql)).rows[0] as Record<string, unknown>;
      } finally {
        await client.end();
      }
    },
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)),
  };
}
