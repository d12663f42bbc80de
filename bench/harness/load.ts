import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { LoadConfig, LoadResult } from './load-worker';
import { RAW_DIR, REPO, systemNode } from './paths';

let runCounter = 0;

/** Runs one load in a separate process on the load-generator core and returns its result. */
export function runLoad(config: LoadConfig, core: number): Promise<LoadResult> {
  fs.mkdirSync(RAW_DIR, { recursive: true });
  const file = path.join(RAW_DIR, `load-${process.pid}-${runCounter++}.json`);
  fs.writeFileSync(file, JSON.stringify(config));
  const worker = path.join(REPO, 'bench/dist/bench/harness/load-worker.js');
  const limitMs = ((config.amount ? config.timeoutSeconds * config.amount : config.durationSeconds + config.timeoutSeconds) + 30) * 1000;
  return new Promise((resolve, reject) => {
    execFile('taskset', ['-c', String(core), systemNode(), worker, file], { maxBuffer: 16 << 20, timeout: limitMs }, (error, stdout, stderr) => {
      fs.rmSync(file, { force: true });
      if (error) reject(new Error(`load worker failed: ${error.message} ${stderr.slice(-500)}`));
      else resolve(JSON.parse(stdout) as LoadResult);
    });
  });
}

export async function post(url: string, body: string, timeoutMs = 120_000): Promise<{ ms: number; status: number; json: unknown }> {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  const ms = performance.now() - started;
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = { errors: [{ message: `not JSON: ${text.slice(0, 200)}` }] };
  }
  return { ms, status: response.status, json };
}

export function median(values: number[]): number | null {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return null;
  const middle = finite.length >> 1;
  return finite.length % 2 ? finite[middle] : (finite[middle - 1] + finite[middle]) / 2;
}
