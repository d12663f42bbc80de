import http from 'node:http';
import { Pool } from 'pg';
import { W1_DASHBOARD_SQL } from './w1-dashboard.sql';
import { W1_DASHBOARD_LIVE_SQL, W1_PUBLIC_LIVE_SQL } from './w1-dashboard-live.sql';
import { W2_NATIONAL_OVERVIEW_SQL } from './w2-national-overview.sql';
import { W2_NATIONAL_OVERVIEW_LIVE_SQL } from './w2-national-overview-live.sql';
import { W3_IMPACT_SQL } from './w3-impact.sql';

/**
 * The raw-SQL floor: one hand-written statement per workload, PostgreSQL builds the response JSON,
 * and this wrapper only routes by operation name and copies bytes. Nothing a real server would need
 * (parsing, validation, auth, error masking) is here: it is the floor, not a contender for production.
 *
 * `DATABASE_URL=... PORT=... node bench/dist/bench/contenders/floor/server.js`
 */
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10), application_name: 'bench-floor' });

type Body = { operationName?: string; variables?: Record<string, unknown> };

function uuidOf(globalId: unknown): string {
  const decoded = Buffer.from(String(globalId), 'base64url').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}

/**
 * One statement's answer. The floors reading the stored picture (W1L, W1P) prepare theirs once per
 * connection under a name, as ketenbeeld prepares its dashboards' statements
 * (src/db/named-statements.ts), so that they save the same planning; the others are sent unnamed,
 * as ketenbeeld sends its own (name null).
 */
async function one(name: string | null, text: string, values: unknown[]): Promise<string> {
  return (await pool.query<{ body: string }>(name ? { name, text, values } : { text, values })).rows[0].body;
}

async function answer(body: Body): Promise<string> {
  const variables = body.variables ?? {};
  const now = new Date();
  switch (body.operationName) {
    case 'Dashboard':
      return one(null, W1_DASHBOARD_SQL, [variables.cbs, now]);
    case 'DashboardFromLivePicture':
      return one('w1_live', W1_DASHBOARD_LIVE_SQL, [variables.cbs]);
    case 'PublicDashboard':
      return one('w1_public_live', W1_PUBLIC_LIVE_SQL, [variables.cbs]);
    case 'NationalOverview':
      return one(null, W2_NATIONAL_OVERVIEW_SQL, [now]);
    case 'NationalOverviewFromLivePicture':
      return one(null, W2_NATIONAL_OVERVIEW_LIVE_SQL, []);
    case 'Impact':
      return one(null, W3_IMPACT_SQL, [uuidOf(variables.id), variables.status ?? 'MAJOR_OUTAGE', now]);
    default:
      return JSON.stringify({ errors: [{ message: `the floor does not answer operation ${body.operationName}` }] });
  }
}

const server = http.createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    let body: Body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Body;
    } catch {
      response.writeHead(400).end();
      return;
    }
    answer(body).then(
      (json) => response.writeHead(200, { 'content-type': 'application/json' }).end(json),
      (error: unknown) => response.writeHead(500, { 'content-type': 'application/json' })
        .end(JSON.stringify({ errors: [{ message: error instanceof Error ? error.message : String(error) }] })),
    );
  });
});

server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 4101), '127.0.0.1', () => console.log(`floor listening on ${process.env.PORT ?? 4101}`));
process.on('SIGTERM', () => server.close(() => void pool.end().then(() => process.exit(0))));
