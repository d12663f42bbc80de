import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { createDataSource } from '../../src/db/data-source';
import { issueToken } from '../../src/modules/access';
import { ketenbeeldNodeFlags, REPO } from '../harness/paths';
import { startServer } from '../harness/server-process';
import { measureWebhookDelivery, webhookMarkdown } from '../harness/webhooks';

/**
 * Webhook delivery alone (W7's second half): a throwaway database on the PostgreSQL at DATABASE_URL
 * (default the local server), ketenbeeld as users start it (dist/src/main.js, which migrates and
 * loads the demo scenario) pinned to core 1 with its webhook worker, 200 endpoints on 127.0.0.1 in
 * this process following the HLTsamen gateway, which is flipped down and up. Writes
 * bench/results/<date>-webhooks-<label>.md. After `npm run build` and `npx tsc -p bench/tsconfig.json`:
 *
 *   node bench/dist/bench/tools/webhooks.js [--endpoints 200] [--flips 20] [--label quick]
 */
const argument = (flag: string, fallback: string) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : fallback;
};

async function main(): Promise<void> {
  const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `ketenbeeld_bench_webhooks_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const port = 4700 + Math.floor(Math.random() * 200);
  const server = await startServer({
    name: 'ketenbeeld', command: process.execPath, args: [...ketenbeeldNodeFlags(), path.join(REPO, 'dist/src/main.js')], port, core: 1,
    env: {
      NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATABASE_URL: url.toString(), DATA_DIR: `/tmp/${name}`,
      RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_BURST: '1000000', WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_ADDRESSES: '127.0.0.1',
      SHUTDOWN_DELAY_SECONDS: '0',
    },
  }, 120);
  const dataSource = createDataSource({ url: url.toString(), poolSize: 2 });
  try {
    await dataSource.initialize();
    const endpoints = Number(argument('--endpoints', '200'));
    // An organisation may have 50 endpoints: coordinators enough for all, each reading everything.
    const callers: Record<string, string>[] = [];
    for (let i = 0; i < Math.ceil(endpoints / 50); i++) {
      const [org] = await dataSource.query(`INSERT INTO organisation (kind, name) VALUES ('COORDINATOR', $1) RETURNING id`, [`Bench coordinator ${i}`]);
      const issued = await dataSource.transaction((tx) => issueToken(tx, { organisationId: org.id, role: 'COORDINATOR', expiresInDays: 1, label: 'bench', issuedByTokenId: null }));
      callers.push({ authorization: `Bearer ${issued.secret}` });
    }
    const [gateway] = await dataSource.query(`SELECT id FROM component WHERE name = 'HLTsamen Citrix Gateway'`);
    const report = await measureWebhookDelivery({
      graphqlUrl: server.url, callers, gatewayId: Buffer.from(`Component:${gateway.id}`).toString('base64url'),
      endpoints, flips: Number(argument('--flips', '20')), timeoutSeconds: 30,
    });
    const setting = `${new Date().toISOString().slice(0, 10)}: demo scenario, PostgreSQL server, ketenbeeld (dist/src/main.js, default WEBHOOK_CONCURRENCY 32) pinned to one core, the receivers in the benchmark's process, on the shared 2-core machine.`;
    const table = webhookMarkdown(report, setting);
    console.log(table);
    fs.writeFileSync(path.join(REPO, 'bench/results', `${new Date().toISOString().slice(0, 10)}-webhooks-${argument('--label', 'quick')}.md`), `${table}\n`);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await server.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    fs.rmSync(`/tmp/${name}`, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
