import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { ensureDataset, markWritten } from '../generator/load';
import { startBenchPostgres } from '../harness/bench-postgres';
import { serverSpec } from '../harness/contenders';
import { post } from '../harness/load';
import { ketenbeeldNodeFlags, REPO } from '../harness/paths';
import { tuneDatabase } from '../harness/postgres';
import { startServer } from '../harness/server-process';
import { issueCoordinatorToken } from '../harness/tokens';
import { pickInputs } from '../harness/workloads';

/**
 * What a report on the hub (W3's gateway) writes to PostgreSQL's WAL, and whether a checkpoint or a
 * VACUUM (ANALYZE) just before it (as W4 mixed runs before every round) makes it slower: the hub
 * reported down and up in turn, with nothing else running, plainly and right after each of those.
 * Per report: its round trip, the WAL bytes and full-page images it caused (pg_stat_wal).
 *
 *   npm run build && npx tsc -p bench/tsconfig.json && node bench/dist/bench/tools/hub-wal.js
 *
 * Writes bench/results/<date>-hub-wal-s1.md (with -2, -3, … when that exists).
 */
const log = (line: string) => console.log(`[hub-wal ${new Date().toISOString().slice(11, 19)}] ${line}`);
const REPORT = `mutation Report($input: ReportStatusInput!) { reportStatus(input: $input) { replayed current } }`;

interface Row { before: string; status: string; ms: number; fullPageImages: number; walMiB: number }

async function main(): Promise<void> {
  await startBenchPostgres(log);
  const dataset = await ensureDataset(1, 1, { log });
  await tuneDatabase(dataset.name);
  const inputs = await pickInputs(dataset.url, 40, 1);
  const headers = await issueCoordinatorToken(dataset.url, 'bench hub wal');
  await markWritten(dataset.name, 1, 1);
  const base = serverSpec('ketenbeeld', dataset.url, 1);
  const server = await startServer({ ...base, port: 4150, env: { ...base.env, PORT: '4150' }, args: [...ketenbeeldNodeFlags(REPO), path.join(REPO, 'dist/src/main.js')] }, 600);
  const sql = new Client({ connectionString: dataset.url });
  await sql.connect();
  const rows: Row[] = [];
  try {
    const wal = async () => (await sql.query<{ fpi: string; bytes: string }>(`SELECT wal_fpi AS fpi, wal_bytes AS bytes FROM pg_stat_wal`)).rows[0];
    let down = true;
    const report = async (before: string) => {
      const status = down ? 'MAJOR_OUTAGE' : 'OPERATIONAL';
      down = !down;
      const w0 = await wal();
      const input = { componentId: inputs.hubGatewayId, status, cause: status === 'OPERATIONAL' ? null : 'PRECAUTIONARY_SHUTDOWN', source: 'bench:hub-wal', idempotencyKey: `bench-hub-wal-${Date.now()}` };
      const answer = await post(server.url, JSON.stringify({ query: REPORT, operationName: 'Report', variables: { input } }), headers, 300_000);
      if (answer.status !== 200 || (answer.json as { errors?: unknown }).errors) throw new Error(`reportStatus: ${JSON.stringify(answer.json).slice(0, 300)}`);
      const w1 = await wal();
      const row = { before, status, ms: answer.ms, fullPageImages: Number(w1.fpi) - Number(w0.fpi), walMiB: (Number(w1.bytes) - Number(w0.bytes)) / 1048576 };
      rows.push(row);
      log(`${before}: ${status} ${row.ms.toFixed(0)} ms, ${row.fullPageImages} full-page images, ${row.walMiB.toFixed(1)} MiB WAL`);
    };
    for (const before of ['nothing (warm-up)', 'nothing (warm-up)', 'nothing', 'nothing', 'nothing']) await report(before);
    for (const [step, statements] of [['CHECKPOINT', ['CHECKPOINT']], ['VACUUM (ANALYZE)', ['VACUUM (ANALYZE)']], ['VACUUM (ANALYZE) and CHECKPOINT', ['VACUUM (ANALYZE)', 'CHECKPOINT']]] as const) {
      for (const statement of statements) await sql.query(statement);
      await report(step);
      await report('nothing');
      await report('nothing');
    }
  } finally {
    await sql.end();
    await server.stop();
  }
  const lines = [
    '# What a hub report writes to the WAL, scale 1', '',
    `${new Date().toISOString()}. The hub: ${inputs.hubGatewayName} (${inputs.hubDependants} direct dependants without a redundant alternative), reported down and up in turn with a coordinator's token,`,
    'nothing else running; "just before" is what ran on the database right before the report (W4 mixed runs VACUUM (ANALYZE) before every round). WAL and full-page images from pg_stat_wal.', '',
    '| just before | status | round trip ms | full-page images | WAL MiB |', '|---|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.before} | ${r.status} | ${r.ms.toFixed(0)} | ${r.fullPageImages} | ${r.walMiB.toFixed(1)} |`),
  ];
  const first = path.join(REPO, 'bench/results', `${new Date().toISOString().slice(0, 10)}-hub-wal-s1`);
  let stem = first;
  for (let n = 2; fs.existsSync(`${stem}.md`); n++) stem = `${first}-${n}`;
  fs.writeFileSync(`${stem}.md`, `${lines.join('\n')}\n`);
  console.log(`\n${lines.join('\n')}\n\nwritten to ${stem}.md`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
