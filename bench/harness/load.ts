import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { FanoutConfig, FanoutResult } from './fanout';
import type { MixedConfig, MixedResult } from './mixed';
import type { LoadConfig, LoadResult } from './load-worker';
import { RAW_DIR, REPO, systemNode } from './paths';


interface Pending { resolve: (result: never) => void; reject: (error: Error) => void; file: string }

/** The one load-generator process of a run, pinned to its core; started on first use. */
class LoadGenerator {
  private child: ChildProcess | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(private readonly core: number) {}

  private start(): ChildProcess {
    const worker = path.join(REPO, 'bench/dist/bench/harness/load-worker.js');
    const child = spawn('taskset', ['-c', String(this.core), systemNode(), worker], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (message: { id: number; result?: never; error?: string }) => {
      const job = this.pending.get(message.id);
      if (!job) return;
      this.pending.delete(message.id);
      fs.rmSync(job.file, { force: true });
      if (message.result) job.resolve(message.result);
      else job.reject(new Error(`load run failed: ${message.error}`));
    });
    child.on('exit', (code) => {
      for (const job of this.pending.values()) job.reject(new Error(`load generator exited with ${code}`));
      this.pending.clear();
      this.child = null;
    });
    return child;
  }

  run<R>(config: LoadConfig | FanoutConfig | MixedConfig): Promise<R> {
    this.child ??= this.start();
    fs.mkdirSync(RAW_DIR, { recursive: true });
    const id = this.nextId++;
    const file = path.join(RAW_DIR, `load-${process.pid}-${id}.json`);
    fs.writeFileSync(file, JSON.stringify(config));
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (result: never) => void, reject, file });
      this.child!.send({ id, configFile: file });
    });
  }

  stop(): void {
    this.child?.disconnect();
  }
}

let generator: LoadGenerator | null = null;

/** Runs one load on the load-generator core and returns its result. */
export function runLoad(config: LoadConfig, core: number): Promise<LoadResult> {
  generator ??= new LoadGenerator(core);
  return generator.run<LoadResult>(config);
}

/** W5 on the load-generator core. */
export function runFanoutLoad(config: FanoutConfig, core: number): Promise<FanoutResult> {
  generator ??= new LoadGenerator(core);
  return generator.run<FanoutResult>(config);
}

/** W4 mixed on the load-generator core. */
export function runMixedLoad(config: MixedConfig, core: number): Promise<MixedResult> {
  generator ??= new LoadGenerator(core);
  return generator.run<MixedResult>(config);
}

export function stopLoadGenerator(): void {
  generator?.stop();
  generator = null;
}

export async function post(url: string, body: string, headers: Record<string, string> = {}, timeoutMs = 120_000): Promise<{ ms: number; status: number; json: unknown }> {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(timeoutMs),
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
