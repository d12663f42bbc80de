import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';

export interface ServerSpec {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  port: number;
  /** The core the server runs on (taskset). */
  core: number;
}

export interface RunningServer {
  spec: ServerSpec;
  url: string;
  pid: number;
  /** Peak resident memory so far (VmHWM), in MiB. */
  peakMemoryMiB(): number | null;
  stop(): Promise<void>;
}

/** Starts a server pinned to its core and waits until it answers `{ __typename }`; throws with its stderr if it does not. */
export async function startServer(spec: ServerSpec, readySeconds = 60): Promise<RunningServer> {
  const child: ChildProcess = spawn('taskset', ['-c', String(spec.core), spec.command, ...spec.args], {
    env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | null = null;
  child.on('exit', (code) => {
    exited = code ?? -1;
  });
  const url = `http://127.0.0.1:${spec.port}/graphql`;
  const deadline = Date.now() + readySeconds * 1000;
  for (;;) {
    if (exited !== null) throw new Error(`exited with code ${exited}: ${output.trim().split('\n').slice(-6).join(' | ')}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`did not answer within ${readySeconds} s: ${output.trim().split('\n').slice(-4).join(' | ')}`);
    }
    try {
      const response = await fetch(url, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ __typename }', operationName: null }),
      });
      if (response.status < 500) break;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const pid = child.pid!;
  return {
    spec, url, pid,
    peakMemoryMiB() {
      try {
        const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
        return match ? Math.round(Number(match[1]) / 1024) : null;
      } catch {
        return null;
      }
    },
    async stop() {
      if (exited !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
}
