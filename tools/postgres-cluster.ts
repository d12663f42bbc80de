import { execFile, execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/**
 * A PostgreSQL cluster of our own (initdb + pg_ctl), on its own port and directory, for the fault
 * suite (which stops, kills and pauses it) and the benchmark (which needs pg_stat_statements
 * preloaded). Never the machine's main cluster: that one is shared and must not be restarted.
 *
 * PostgreSQL refuses to run as root; when we are root, its commands run as the `postgres` user,
 * which then owns the directory.
 */
export interface ClusterOptions {
  /** The cluster's own directory: data in `data/`, the server log in `server.log`. */
  dir: string;
  port: number;
  /** postgresql.conf settings written at initdb. */
  settings?: Record<string, string | number>;
}

const AS_ROOT = process.getuid?.() === 0;

/**
 * Whether the user the server will run as can reach `dir` (as root: `postgres`, which needs to
 * traverse every parent; a mkdtemp directory of root's, mode 0700, is not reachable).
 */
export function reachableByServer(dir: string): boolean {
  if (!AS_ROOT) return true;
  const existing = (candidate: string): string => (fs.existsSync(candidate) ? candidate : existing(path.dirname(candidate)));
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return spawnSync('test', ['-x', existing(path.resolve(dir))], { uid, gid }).status === 0;
}

/** The newest installed PostgreSQL's bin directory (Debian layout), or PG_BIN. */
export function postgresBinaries(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs.readdirSync(root).filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error('no PostgreSQL binaries found under /usr/lib/postgresql; set PG_BIN');
  return path.join(root, versions[0], 'bin');
}

export class PostgresCluster {
  readonly dataDir: string;
  readonly logFile: string;
  private readonly bin = postgresBinaries();

  constructor(private readonly options: ClusterOptions) {
    this.dataDir = path.join(options.dir, 'data');
    this.logFile = path.join(options.dir, 'server.log');
  }

  get port(): number {
    return this.options.port;
  }

  /** The `postgres` database as the trusted superuser, over TCP on 127.0.0.1. */
  url(database = 'postgres'): string {
    return `postgres://postgres@127.0.0.1:${this.options.port}/${database}`;
  }

  get initialised(): boolean {
    return fs.existsSync(path.join(this.dataDir, 'PG_VERSION'));
  }

  /** initdb with trust authentication on 127.0.0.1 only, no Unix socket, and the given settings. */
  async init(): Promise<void> {
    if (!reachableByServer(path.dirname(this.options.dir))) {
      throw new Error(`the postgres user cannot reach ${this.options.dir}: choose a directory whose parents it may traverse`);
    }
    fs.mkdirSync(this.options.dir, { recursive: true });
    if (AS_ROOT) execFileSync('chown', ['postgres:postgres', this.options.dir]);
    await this.run('initdb', ['-D', this.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-instructions']);
    const settings: Record<string, string | number> = {
      port: this.options.port,
      listen_addresses: '127.0.0.1',
      unix_socket_directories: '',
      ...this.options.settings,
    };
    const lines = Object.entries(settings).map(([name, value]) => `${name} = ${typeof value === 'number' ? value : `'${value}'`}`);
    fs.appendFileSync(path.join(this.dataDir, 'postgresql.conf'), `\n# Written by ketenbeeld's tools/postgres-cluster.ts\n${lines.join('\n')}\n`);
  }

  /**
   * Starts the server and waits until it accepts connections. Asynchronous, like stop and restart:
   * the fault suite's clients keep sending meanwhile.
   */
  async start(): Promise<void> {
    await this.run('pg_ctl', ['start', '-w', '-t', '60', '-D', this.dataDir, '-l', this.logFile]);
  }

  /** `fast` rolls back and disconnects; `immediate` kills everything (crash recovery at the next start). */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.run('pg_ctl', ['stop', '-w', '-t', '60', '-m', mode, '-D', this.dataDir]);
  }

  async restart(): Promise<void> {
    await this.run('pg_ctl', ['restart', '-w', '-t', '60', '-m', 'fast', '-D', this.dataDir, '-l', this.logFile]);
  }

  get running(): boolean {
    return spawnSync(path.join(this.bin, 'pg_ctl'), ['status', '-D', this.dataDir], { stdio: 'ignore', ...this.asOwner() }).status === 0;
  }

  /** The postmaster and every process it started: what SIGSTOP must reach to pause the whole server. */
  processIds(): number[] {
    const postmaster = Number(fs.readFileSync(path.join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)], { encoding: 'utf8' })
      .split('\n').map((line) => Number(line.trim())).filter((pid) => pid > 0);
    return [postmaster, ...children];
  }

  /** Freezes every process of the server (SIGSTOP): connections stay open and nothing answers. */
  pause(): number[] {
    const pids = this.processIds();
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    return pids;
  }

  resume(pids: number[]): void {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // Gone meanwhile.
      }
    }
  }

  /** Stops the server if it runs and deletes the directory. */
  async remove(): Promise<void> {
    if (this.initialised && this.running) await this.stop('immediate');
    fs.rmSync(this.options.dir, { recursive: true, force: true });
  }

  private asOwner(): { uid?: number; gid?: number } {
    if (!AS_ROOT) return {};
    const owner = fs.statSync(this.options.dir);
    return { uid: owner.uid, gid: owner.gid };
  }

  private run(command: string, args: string[]): Promise<void> {
    // As root, the server runs as the owner of the directory (postgres): initdb and postgres refuse root.
    return new Promise((resolve, reject) => {
      execFile(path.join(this.bin, command), args, {
        encoding: 'utf8', cwd: this.options.dir, ...this.asOwner(), env: { ...process.env, LC_ALL: 'C.UTF-8' },
      }, (error, stdout, stderr) => {
        if (!error) {
          resolve();
          return;
        }
        const tail = fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-8).join('\n') : '';
        reject(new Error(`${command} ${args.join(' ')} failed (${error.code ?? error.signal}): ${stderr}${stdout}\n${tail}`));
      });
    });
  }
}
