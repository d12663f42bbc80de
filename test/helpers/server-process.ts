import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');

/**
 * Compiles the server as `npm run build` does, into `outDir` under the repository (so node_modules
 * resolves), and returns the path of its main.js. A directory of its own per test file: test files
 * run in parallel and must not write over each other's build.
 */
export function buildServer(outDir = 'dist'): string {
  const build = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stdout}${build.stderr}`);
  return path.join(ROOT, outDir, 'src/main.js');
}

export type LogLine = Record<string, unknown> & { msg?: string };

/** A server started as `node dist/src/main.js`, its output kept and its JSON log lines parsed. */
export class ServerProcess {
  private output = '';
  private exit: Promise<number | null>;
  exited = false;

  private constructor(readonly child: ChildProcess) {
    const keep = (chunk: Buffer) => {
      this.output += chunk.toString();
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exit = new Promise((resolve) => child.once('exit', (code) => {
      this.exited = true;
      resolve(code);
    }));
  }

  static spawn(mainJs: string, env: Record<string, string>): ServerProcess {
    const child = spawn(process.execPath, [mainJs], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    return new ServerProcess(child);
  }

  get text(): string {
    return this.output;
  }

  lines(): LogLine[] {
    return this.output.split('\n').flatMap((line) => {
      try {
        const parsed: unknown = JSON.parse(line);
        return typeof parsed === 'object' && parsed !== null ? [parsed as LogLine] : [];
      } catch {
        return [];
      }
    });
  }

  /** The first log line matching, waited for; fails when the process exits or the time is up. */
  async waitForLine(matches: (line: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines().find(matches);
      if (found) return found;
      if (this.exited) throw new Error(`server exited before ${what}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The URL it serves at, once it says it is ready. */
  async ready(timeoutMs = 60_000): Promise<string> {
    const line = await this.waitForLine((l) => l.msg === 'ketenbeeld is ready', timeoutMs, 'ready line');
    return String(line.url);
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(signal);
  }

  /** SIGTERM, then the exit code; SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 30_000): Promise<number | null> {
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), timeoutMs);
    const code = await this.exit;
    clearTimeout(timer);
    return code;
  }

  whenExited(): Promise<number | null> {
    return this.exit;
  }
}

/** Removes a build made by buildServer (not `dist`, which is npm run build's). */
export function removeBuild(outDir: string): void {
  if (outDir !== 'dist') fs.rmSync(path.join(ROOT, outDir), { recursive: true, force: true });
}
