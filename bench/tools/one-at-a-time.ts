import fs from 'node:fs';
import type { Client } from 'pg';
import { post } from '../harness/load';
import { resetStatementStatistics, statementCount } from '../harness/postgres';
import type { RunningServer } from '../harness/server-process';

/**
 * Requests asked one at a time, with what each cost: the round trip, the CPU of the server's
 * process and of the PostgreSQL backends serving its pool (user + system time, from /proc), and the
 * statements PostgreSQL ran. CPU per request is what throughput on a saturated core is made of, and
 * it moves far less with the machine's noise than a latency does, so two builds can be compared on
 * it (dashboard-alone.ts, what-if-alone.ts).
 */
export interface Asked {
  requests: number;
  p50: number;
  p90: number;
  min: number;
  /** Server CPU per request, ms. */
  serverCpuMs: number;
  /** CPU of the PostgreSQL backends serving the server's pool, per request, ms. */
  postgresCpuMs: number;
  /** Statements per request in pg_stat_statements (transaction control and SET not counted). */
  statements: number;
}

/** One request and its round trip in ms; throws on anything but a full answer. */
export type Request = (i: number) => Promise<number>;

function cpuMs(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime, in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0; // a backend that ended meanwhile: its time is lost, and the pool keeps its connections
  }
}

/** A GraphQL request that must answer 200 without errors. */
export function graphqlRequest(server: RunningServer, body: (i: number) => string, headers: (i: number) => Record<string, string>): Request {
  return async (i) => {
    const answer = await post(server.url, body(i), headers(i));
    if (answer.status !== 200 || (answer.json as { errors?: unknown }).errors) throw new Error(JSON.stringify(answer.json).slice(0, 300));
    return answer.ms;
  };
}

/** Asks `warmUp` unmeasured requests, then `requests` measured ones, one at a time. */
export async function ask(
  database: Client, databaseName: string, server: RunningServer, requests: number, once: Request, warmUp = 50,
): Promise<Asked> {
  const backends = async () => (await database.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`)).rows.map((row) => row.pid);
  for (let i = 0; i < warmUp; i++) await once(i);
  await resetStatementStatistics();
  const pids = await backends();
  const serverBefore = cpuMs(server.pid);
  const postgresBefore = new Map(pids.map((pid) => [pid, cpuMs(pid)]));
  const times: number[] = [];
  for (let i = 0; i < requests; i++) times.push(await once(i));
  const serverCpu = cpuMs(server.pid) - serverBefore;
  let postgresCpu = 0;
  for (const pid of await backends()) postgresCpu += cpuMs(pid) - (postgresBefore.get(pid) ?? cpuMs(pid));
  // The two reads of pg_stat_activity above and below count too: one each.
  const statements = await statementCount(databaseName) - 2;
  const sorted = [...times].sort((a, b) => a - b);
  return {
    requests,
    p50: sorted[Math.floor(sorted.length * 0.5)],
    p90: sorted[Math.floor(sorted.length * 0.9)],
    min: sorted[0],
    serverCpuMs: serverCpu / requests,
    postgresCpuMs: postgresCpu / requests,
    statements: statements / requests,
  };
}
