/**
 * Whether this instance should get traffic: /readyz answers from here.
 *
 * - `starting` until main.ts has done what the server needs before it serves (migrations, the
 *   picture loaded) and calls `ready()`;
 * - `ready`, as long as PostgreSQL answers the probe in time;
 * - `draining` from SIGTERM on: the load balancer stops sending, while requests already on their
 *   way are still served.
 */
export type Phase = 'starting' | 'ready' | 'draining';

export interface ReadinessReport {
  ready: boolean;
  status: Phase | 'database unavailable';
}

export class Readiness {
  private current: Phase;
  private database: ((timeoutMs: number) => Promise<void>) | null = null;

  constructor(initial: Phase = 'starting') {
    this.current = initial;
  }

  get phase(): Phase {
    return this.current;
  }

  /** How /readyz asks PostgreSQL (src/db/database-probe.ts), once there is a database. */
  checkDatabaseWith(check: (timeoutMs: number) => Promise<void>): void {
    this.database = check;
  }

  ready(): void {
    if (this.current === 'starting') this.current = 'ready';
  }

  drain(): void {
    this.current = 'draining';
  }

  async report(timeoutMs: number): Promise<ReadinessReport> {
    if (this.current !== 'ready') return { ready: false, status: this.current };
    if (this.database) {
      try {
        await this.database(timeoutMs);
      } catch {
        return { ready: false, status: 'database unavailable' };
      }
    }
    return { ready: true, status: 'ready' };
  }
}
