import fs from 'node:fs';
import path from 'node:path';
import { ensureDataset, markWritten } from '../generator/load';
import { serverSpec } from '../harness/contenders';
import { REPO } from '../harness/paths';
import { tuneDatabase } from '../harness/postgres';
import { issueCoordinatorToken } from '../harness/tokens';
import { startServer } from '../harness/server-process';
import type { ServerSpec } from '../harness/server-process';
import { startBenchPostgres } from '../harness/bench-postgres';
import { measureBulkShutdown, w7Markdown } from '../harness/w7';

/**
 * W7 alone (bench/harness/w7.ts): a vendor's bulk shutdown against ketenbeeld and the floor, on its
 * own dataset (default seed 7). Needs `npm run build` and `npx tsc -p bench/tsconfig.json` first.
 * Writes bench/results/<date>-w7-s<scale>.md.
 *
 *   node bench/dist/bench/tools/w7.js [--scale 0.02] [--seed 7] [--gateways 300] [--rounds 10] [--port 4100]
 *                                     [--no-webhooks] [--delivery-timeout 300]
 *
 * `--port` moves ketenbeeld to it and the floor to the next one (when a full run holds 4100–4103).
 * Webhook endpoints (one per affected municipality, w7-deliveries.ts) are measured unless `--no-webhooks`;
 * `--delivery-timeout` is how long a batch's deliveries may take, in seconds.
 */
const argument = (flag: string, fallback: number) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const log = (line: string) => console.log(`[w7 ${new Date().toISOString().slice(11, 19)}] ${line}`);

async function main(): Promise<void> {
  await startBenchPostgres(log);
  const scale = argument('--scale', 0.02);
  const seed = argument('--seed', 7);
  const dataset = await ensureDataset(scale, seed, { log });
  await tuneDatabase(dataset.name);
  const port = argument('--port', 4100);
  const on = (spec: ServerSpec, p: number): ServerSpec => ({ ...spec, port: p, env: { ...spec.env, PORT: String(p) } });
  const ketenbeeld = await startServer(on(serverSpec('ketenbeeld', dataset.url, 1), port), 600);
  const floor = await startServer(on(serverSpec('floor', dataset.url, 0), port + 1));
  try {
    await markWritten(dataset.name, scale, seed);
    const report = await measureBulkShutdown(ketenbeeld, floor, dataset.url, {
      gateways: argument('--gateways', 300), rounds: argument('--rounds', 10), readHeaders: await issueCoordinatorToken(dataset.url, 'bench w7 reader'),
      webhooks: !process.argv.includes('--no-webhooks'), deliveryTimeoutMs: argument('--delivery-timeout', 300) * 1000, log,
    });
    const text = `${w7Markdown(report, scale)}\n`;
    const file = path.join(REPO, 'bench/results', `${new Date().toISOString().slice(0, 10)}-w7-s${scale}.md`);
    fs.writeFileSync(file, text);
    console.log(`\n${text}\nwritten to ${file}`);
  } finally {
    await ketenbeeld.stop();
    await floor.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
