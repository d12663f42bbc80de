import { startBenchPostgres } from '../harness/bench-postgres';
import { ensureDataset } from './load';

/** `node bench/dist/bench/generator/main.js --scale 0.02 [--seed 1] [--fresh]`: creates bench_* and prints its URL. */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const value = (flag: string, fallback: string) => {
    const i = args.indexOf(flag);
    return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
  };
  const scale = Number(value('--scale', '0.02'));
  const seed = Number(value('--seed', '1'));
  if (!(scale > 0 && scale <= 4) || !Number.isInteger(seed)) throw new Error('--scale must be in (0, 4], --seed an integer');
  await startBenchPostgres((line) => console.log(line));
  const loaded = await ensureDataset(scale, seed, { fresh: args.includes('--fresh'), log: (line) => console.log(line) });
  console.log(loaded.url);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
