import path from 'node:path';
import { median, post, runLoad } from './load';
import type { LoadConfig, LoadResult } from './load-worker';
import { PORT_BASE } from './contenders';
import { ketenbeeldNodeFlags, REPO, systemNode } from './paths';
import { pinBackends } from './postgres';
import { W4_REPORT_STATUS } from './queries';
import { RunningServer, startServer } from './server-process';
import { UNIQUE } from './workloads';

/**
 * Public pressure: can a public reader that asks as much as the limits let it take the writes away?
 * (Issue 15: three public addresses asking thirty years of uptime for four municipalities took
 * reportStatus from 38/s to 0.5/s.)
 *
 * A ketenbeeld of its own (port 4104, or BENCH_PORT_BASE + 4) runs as production does: NODE_ENV=production, every limit at
 * its default, TRUST_PROXY=loopback so that the reader can come from several public addresses
 * (X-Forwarded-For), as it would behind a proxy. Writers are vendor integrations: OPERATIONAL reports
 * on gateways nothing depends on (W4's), each integration with its own token, at saturation. The
 * reader saturates too: from `READER_ADDRESSES` addresses, new ones in every round (so every round
 * starts with fresh budgets, bursts included), it asks over and over for the heaviest public question
 * the limits admit (a municipality's services with the widest uptime window under the public's cost
 * limit). Each round measures the writes alone and with the reader, in alternating order; the ratio
 * is writes with the reader ÷ writes alone, the median of the rounds. Target: at least 0.8.
 */
const PORT = PORT_BASE + 4;
const WRITER_TOKENS = 24;
const READER_ADDRESSES = 3;
const READER_CONNECTIONS = 2;
const TARGET = 0.8;

const PUBLIC_QUESTION = `query PublicAvailability($cbs: String!, $from: DateTime!, $to: DateTime!) {
  municipality(cbsCode: $cbs) { name services { service { name } status cause since stale uptime(from: $from, to: $to) } }
}`;

export interface PublicPressureRound {
  writesAlone: number;
  writesWithReader: number;
  ratio: number;
  writeP99AloneMs: number;
  writeP99WithReaderMs: number;
  /** Writes that failed or were refused (must be 0: the writers stay within their budgets). */
  writeFailures: number;
  /** The first few failed writes' answers (status and body), to tell a refusal from an error or a timeout. */
  writeProblems?: string[];
  readerAnswered: number;
  readerRefused: number;
}

export interface PublicPressureReport {
  target: number;
  ratio: number | null;
  met: boolean | null;
  secondsPerPhase: number;
  writers: string;
  reader: string;
  /** The issue's own question (four municipalities, 2000–2030), asked once by the public. */
  issueQuestion: string;
  rounds: PublicPressureRound[];
  error: string | null;
}

interface Settings {
  datasetUrl: string;
  database: string;
  /** A coordinator's bearer token header (run.ts issues it). */
  headers: Record<string, string>;
  quietGatewayIds: string[];
  municipalities: string[];
  rounds: number;
  secondsPerPhase: number;
  serverCore: number;
  loadCore: number;
  log: (line: string) => void;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const body = (query: string, operationName: string | null, variables: Record<string, unknown> = {}) => JSON.stringify({ query, operationName, variables });
const errorOf = (json: unknown) => ((json as { errors?: { message?: string; extensions?: { code?: string } }[] }).errors ?? [])[0];

async function graphql(server: RunningServer, query: string, variables: Record<string, unknown>, headers: Record<string, string>): Promise<unknown> {
  const answer = await post(server.url, body(query, null, variables), headers);
  const error = errorOf(answer.json);
  if (answer.status !== 200 || error) throw new Error(`${query.slice(0, 60)}…: HTTP ${answer.status} ${error?.message ?? ''}`);
  return (answer.json as { data: unknown }).data;
}

/** One token per writer, each a vendor integration of its own (a coordinator may report on any component). */
async function writerTokens(server: RunningServer, headers: Record<string, string>): Promise<string[]> {
  const { viewer } = (await graphql(server, '{ viewer { organisation { id } } }', {}, headers)) as { viewer: { organisation: { id: string } } };
  const tokens: string[] = [];
  for (let i = 0; i < WRITER_TOKENS; i++) {
    const data = (await graphql(server, `mutation($input: IssueAccessTokenInput!) { issueAccessToken(input: $input) { token } }`,
      { input: { organisationId: viewer.organisation.id, role: 'COORDINATOR', expiresInDays: 1, label: `bench public pressure writer ${i}` } }, headers)) as { issueAccessToken: { token: string } };
    tokens.push(data.issueAccessToken.token);
  }
  return tokens;
}

/** The widest uptime window (days up to now) the public may ask about one municipality's services. */
async function widestAdmittedWindow(server: RunningServer, cbs: string): Promise<{ days: number; message: string } | null> {
  for (const [i, days] of [90, 60, 30, 21, 14, 7, 3, 1].entries()) {
    const to = new Date();
    const from = new Date(to.getTime() - days * 86_400_000);
    // An address of its own per try: a refused try must not spend the next one's budget.
    const answer = await post(server.url, body(PUBLIC_QUESTION, 'PublicAvailability', { cbs, from: from.toISOString(), to: to.toISOString() }), { 'x-forwarded-for': `198.51.100.${200 + i}` });
    if (answer.status === 200 && !errorOf(answer.json)) return { days, message: '' };
  }
  return null;
}

function phaseConfigs(server: RunningServer, s: Settings, tokens: string[], reader: { bodies: string[]; round: number } | null): { writers: LoadConfig[]; readers: LoadConfig[] } {
  const writerBodies = s.quietGatewayIds.map((id) =>
    body(W4_REPORT_STATUS, 'Report', { input: { componentId: id, status: 'OPERATIONAL', source: 'bench:public-pressure', idempotencyKey: `pressure-${UNIQUE}` } }));
  const writers = tokens.map((token, i): LoadConfig => ({
    url: server.url, headers: { authorization: `Bearer ${token}` }, connections: 1, durationSeconds: s.secondsPerPhase, timeoutSeconds: 30,
    // Each writer starts at another gateway, so that no two send the same component at once.
    bodies: [...writerBodies.slice(i * 7 % writerBodies.length), ...writerBodies.slice(0, i * 7 % writerBodies.length)],
    uniqueToken: UNIQUE, expected: writerBodies.map(() => JSON.stringify({ stored: true })), normaliser: 'report',
  }));
  // The reader's answers are not checked for content: 200 is an answer, anything else a refusal
  // (the 'report' normaliser finds no report in an availability answer, which is what `expected` says).
  const readers = reader ? Array.from({ length: READER_ADDRESSES }, (_, k): LoadConfig => ({
    url: server.url, headers: { 'x-forwarded-for': `203.0.113.${(reader.round * READER_ADDRESSES + k) % 250 + 1}` },
    connections: READER_CONNECTIONS, durationSeconds: s.secondsPerPhase, timeoutSeconds: 60,
    bodies: reader.bodies, expected: reader.bodies.map(() => JSON.stringify({ stored: false })), normaliser: 'report',
  })) : [];
  return { writers, readers };
}

async function phase(server: RunningServer, s: Settings, tokens: string[], reader: { bodies: string[]; round: number } | null): Promise<{ writers: LoadResult[]; readers: LoadResult[] }> {
  await pinBackends(s.database, s.serverCore);
  const { writers, readers } = phaseConfigs(server, s, tokens, reader);
  const results = await Promise.all([...writers, ...readers].map((config) => runLoad(config, s.loadCore)));
  return { writers: results.slice(0, writers.length), readers: results.slice(writers.length) };
}

export async function measurePublicPressure(s: Settings): Promise<PublicPressureReport> {
  const report: PublicPressureReport = {
    target: TARGET, ratio: null, met: null, secondsPerPhase: s.secondsPerPhase, writers: '', reader: '', issueQuestion: '', rounds: [], error: null,
  };
  let server: RunningServer | null = null;
  try {
    server = await startServer({
      name: 'ketenbeeld (production limits)', core: s.serverCore, port: PORT, command: systemNode(), args: [...ketenbeeldNodeFlags(), path.join(REPO, 'dist/src/main.js')],
      env: { DATABASE_URL: s.datasetUrl, NODE_ENV: 'production', SEED_DEMO: 'never', PORT: String(PORT), TRUST_PROXY: 'loopback' },
    }, 900);
    const tokens = await writerTokens(server, s.headers);
    report.writers = `${tokens.length} vendor integrations, each with its own token and one connection, sending OPERATIONAL reports (new idempotency keys) on ${s.quietGatewayIds.length} gateways nothing depends on`;

    const cbs = s.municipalities.slice(0, 4);
    const issue = await post(server.url, body(`{ ${cbs.map((code, i) => `m${i}: municipality(cbsCode: "${code}") { services { status uptime(from: "2000-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z") } }`).join(' ')} }`, null),
      { 'x-forwarded-for': '198.51.100.199' });
    report.issueQuestion = `HTTP ${issue.status} ${errorOf(issue.json)?.extensions?.code ?? 'answered'}: ${errorOf(issue.json)?.message ?? ''} (in ${issue.ms.toFixed(1)} ms)`;

    const widest = await widestAdmittedWindow(server, cbs[0]);
    if (!widest) throw new Error('the public may not ask even one day of uptime for one municipality');
    const to = new Date();
    const from = new Date(to.getTime() - widest.days * 86_400_000);
    const readerBodies = s.municipalities.map((code) => body(PUBLIC_QUESTION, 'PublicAvailability', { cbs: code, from: from.toISOString(), to: to.toISOString() }));
    report.reader = `${READER_ADDRESSES} public addresses (new ones every round), ${READER_CONNECTIONS} connections each, as fast as answers come: ` +
      `a municipality's services with status, cause, since, stale and uptime over the last ${widest.days} days (the widest window the public's cost limit admits), ${s.municipalities.length} municipalities round-robin`;

    s.log(`public pressure: ${report.writers}; reader: ${report.reader}; the issue's question: ${report.issueQuestion}`);
    // Warm-up, not recorded: a Node server's first saturated seconds are slower (JIT, pools), which
    // would flatter the first phase with the reader.
    await phase(server, s, tokens, null);

    for (let round = 0; round < s.rounds; round++) {
      const withReader = { bodies: readerBodies, round };
      let first: Awaited<ReturnType<typeof phase>>;
      let second: Awaited<ReturnType<typeof phase>>;
      if (round % 2 === 0) {
        first = await phase(server, s, tokens, null);
        second = await phase(server, s, tokens, withReader);
      } else {
        second = await phase(server, s, tokens, withReader);
        first = await phase(server, s, tokens, null);
      }
      const writes = (p: { writers: LoadResult[] }) => sum(p.writers.map((r) => r.throughput));
      const p99 = (p: { writers: LoadResult[] }) => median(p.writers.map((r) => r.latencyMs.p99)) ?? NaN;
      const failures = (p: { writers: LoadResult[] }) => sum(p.writers.map((r) => r.wrongAnswers + r.errors + r.timeouts));
      const problems = (p: { writers: LoadResult[] }) => p.writers.flatMap((r) => [
        ...r.problems, ...(r.errors > 0 ? [`${r.errors} connection errors`] : []), ...(r.timeouts > 0 ? [`${r.timeouts} timeouts`] : []),
      ]);
      const result: PublicPressureRound = {
        writesAlone: writes(first), writesWithReader: writes(second), ratio: writes(second) / writes(first),
        writeP99AloneMs: p99(first), writeP99WithReaderMs: p99(second), writeFailures: failures(first) + failures(second),
        writeProblems: [...problems(first), ...problems(second)].slice(0, 5),
        readerAnswered: sum(second.readers.map((r) => r.requests - r.non2xx)), readerRefused: sum(second.readers.map((r) => r.non2xx)),
      };
      report.rounds.push(result);
      s.log(`public pressure round ${round + 1}/${s.rounds}: writes ${result.writesAlone.toFixed(1)}/s alone, ${result.writesWithReader.toFixed(1)}/s with the reader `
        + `(${result.ratio.toFixed(2)}×); reader ${result.readerAnswered} answered, ${result.readerRefused} refused; ${result.writeFailures} failed writes`);
    }
    report.ratio = median(report.rounds.map((r) => r.ratio));
    report.met = report.ratio !== null && report.ratio >= TARGET && report.rounds.every((r) => r.writeFailures === 0);
  } catch (error) {
    report.error = error instanceof Error ? error.message : String(error);
  } finally {
    await server?.stop();
  }
  return report;
}

/** The report's section. */
export function publicPressureMarkdown(report: PublicPressureReport): string {
  const lines = ['## Public pressure: writes while a public reader asks as much as it may', ''];
  if (report.error) return [...lines, `Not measured: ${report.error}`, ''].join('\n');
  const round = (r: PublicPressureRound, i: number) =>
    `| ${i + 1} | ${r.writesAlone.toFixed(1)} | ${r.writesWithReader.toFixed(1)} | ${r.ratio.toFixed(2)}× | ${r.writeP99AloneMs.toFixed(0)} / ${r.writeP99WithReaderMs.toFixed(0)} | ${r.readerAnswered} / ${r.readerRefused} | ${r.writeFailures} |`;
  return [
    ...lines,
    `| target | measured | met |`, `|---|---|---|`,
    `| writes with a saturating public reader ≥ ${report.target}× writes alone (median of per-round ratios) | ${report.ratio?.toFixed(2)}× | ${report.met ? 'yes' : '**no**'} |`,
    '',
    `ketenbeeld with production limits (NODE_ENV=production, every limit at its default, TRUST_PROXY=loopback), on the server core. ${report.secondsPerPhase} s per phase.`,
    `Writers: ${report.writers}. Reader: ${report.reader}. The issue's question (four municipalities, uptime 2000–2030): ${report.issueQuestion}.`,
    '',
    '| round | writes/s alone | writes/s with the reader | ratio | write p99 ms (median of writers), alone / with | reader answered / refused | failed writes |',
    '|---|---|---|---|---|---|---|',
    ...report.rounds.map(round),
    '',
    ...report.rounds.flatMap((r, i) => (r.writeProblems?.length ? [`Round ${i + 1}, the first failed writes: ${r.writeProblems.map((p) => `\`${p.replace(/`/g, "'")}\``).join('; ')}`, ''] : [])),
  ].join('\n');
}
