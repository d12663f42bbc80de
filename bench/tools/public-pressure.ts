import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { ensureDataset } from '../generator/load';
import { stopLoadGenerator } from '../harness/load';
import { REPO, systemNode } from '../harness/paths';
import { tuneDatabase } from '../harness/postgres';
import { measurePublicPressure, publicPressureMarkdown } from '../harness/public-pressure';
import { pickInputs } from '../harness/workloads';

/**
 * Development aid: the public-pressure measurement of `npm run bench` alone, on its own dataset
 * (default seed 7, so it never rebuilds a run's), without pg_stat_statements (which the full run
 * enables once by restarting PostgreSQL). Needs `npm run build` and `npx tsc -p bench/tsconfig.json` first.
 *
 *   node bench/dist/bench/tools/public-pressure.js [--scale 0.02] [--seed 7] [--rounds 3] [--seconds 10]
 */
const argument = (flag: string, fallback: number) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const log = (line: string) => console.log(`[pressure ${new Date().toISOString().slice(11, 19)}] ${line}`);

async function main(): Promise<void> {
  const dataset = await ensureDataset(argument('--scale', 0.02), argument('--seed', 7), { log });
  await tuneDatabase(dataset.name);
  const client = new Client({ connectionString: dataset.url });
  await client.connect();
  const coordinator = (await client.query<{ id: string }>(`SELECT id FROM organisation WHERE kind = 'COORDINATOR' ORDER BY name LIMIT 1`)).rows[0].id;
  await client.end();
  const issued = spawnSync(systemNode(), [path.join(REPO, 'dist/src/cli/token.js'), 'create', '--org', coordinator, '--role', 'COORDINATOR', '--days', '1', '--label', 'bench pressure'], {
    cwd: REPO, encoding: 'utf8', env: { ...process.env, DATABASE_URL: dataset.url },
  });
  if (issued.status !== 0) throw new Error(`token: ${issued.stderr}`);
  const inputs = await pickInputs(dataset.url, 12, 1);
  const report = await measurePublicPressure({
    datasetUrl: dataset.url, database: dataset.name, headers: { authorization: `Bearer ${issued.stdout.trim().split('\n').pop()}` },
    quietGatewayIds: inputs.quietGatewayIds, municipalities: inputs.municipalities,
    rounds: argument('--rounds', 3), secondsPerPhase: argument('--seconds', 10), serverCore: 1, loadCore: 0, log,
  });
  stopLoadGenerator();
  console.log(`\n${publicPressureMarkdown(report)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  stopLoadGenerator();
  process.exit(1);
});
