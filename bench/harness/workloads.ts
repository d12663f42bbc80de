import { Client } from 'pg';
import { Random } from '../lib/random';
import type { ContenderName } from './contenders';
import type { NormaliserName } from './normalisers';
import { W1_DASHBOARD, W1_POSTGRAPHILE, W1_PUBLIC_DASHBOARD, W2_NATIONAL_OVERVIEW, W3_IMPACT, W4_REPORT_STATUS } from './queries';

export const WORKLOAD_IDS = ['W1', 'W1L', 'W1P', 'W2', 'W2L', 'W3', 'W3F', 'W4'] as const;
export type WorkloadId = typeof WORKLOAD_IDS[number];

export interface Participant {
  name: ContenderName;
  bodies: string[];
  /** Per body, the headers sent instead of the run's (a municipality's own token; none for the public). */
  headers?: Record<string, string>[];
  normaliser: NormaliserName;
}

export interface Workload {
  id: WorkloadId;
  title: string;
  /** What the floor is asked; its answers are the expected ones. Empty: no floor (W4), see `uniqueToken`. */
  floorBodies: string[];
  /** Replaced in every request by a value unique to it (W4's idempotency keys). */
  uniqueToken?: string;
  /** The workload writes: it runs last, and the dataset is rebuilt by the next run. */
  writes?: boolean;
  participants: Participant[];
  /** Why ketenbeeld does not take part, when it does not. */
  ketenbeeldMissing: string | null;
  /** A description of the inputs, for the report. */
  inputs: string;
}

export interface Inputs {
  municipalities: string[];
  /** Gateways nothing depends on (worldwide operators'), for W4's reports: they move no one's answer. */
  quietGatewayIds: string[];
  hubGatewayId: string;
  hubGatewayName: string;
  hubDependants: number;
}

/**
 * Random municipalities (seeded, so every contender and every run gets the same), and the hub: the
 * gateway with the most dependants that have no redundant alternative (a vendor's Citrix server).
 */
export async function pickInputs(url: string, count: number, seed: number): Promise<Inputs> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const codes = (await client.query<{ cbs_code: string }>(`SELECT cbs_code FROM organisation WHERE kind = 'MUNICIPALITY' ORDER BY cbs_code`)).rows.map((r) => r.cbs_code);
    const municipalities = new Random(seed).shuffle(codes).slice(0, count);
    const hub = (await client.query<{ id: string; name: string; n: string }>(
      `SELECT c.id, c.name, count(*) AS n
       FROM dependency d JOIN component c ON c.id = d.depends_on_id AND c.kind = 'GATEWAY'
       WHERE d.removed_at IS NULL AND d.redundancy_group IS NULL
       GROUP BY c.id, c.name ORDER BY count(*) DESC, c.id LIMIT 1`)).rows[0];
    const quiet = (await client.query<{ id: string }>(
      `SELECT c.id FROM component c
       WHERE c.kind = 'GATEWAY' AND NOT EXISTS (SELECT 1 FROM dependency d WHERE d.depends_on_id = c.id)
       ORDER BY c.id LIMIT 200`)).rows.map((r) => Buffer.from(`Component:${r.id}`).toString('base64url'));
    return { municipalities, quietGatewayIds: quiet, hubGatewayId: Buffer.from(`Component:${hub.id}`).toString('base64url'), hubGatewayName: hub.name, hubDependants: Number(hub.n) };
  } finally {
    await client.end();
  }
}

function body(query: string, operationName: string, variables: Record<string, unknown> = {}): string {
  return JSON.stringify({ query, operationName, variables });
}

export const UNIQUE = '__UNIQUE__';

/** The workloads that can run, given which root fields ketenbeeld's schema has (null: not runnable). */
export function defineWorkloads(
  inputs: Inputs, rootFields: Set<string> | null, ketenbeeldReason: string | null, municipalityHeaders: Record<string, string>[],
): Workload[] {
  const missing = (field: string) =>
    ketenbeeldReason ?? (rootFields && !rootFields.has(field) ? `schema has no ${field}` : null);

  const w1 = inputs.municipalities.map((cbs) => body(W1_DASHBOARD, 'Dashboard', { cbs }));
  const w1Live = inputs.municipalities.map((cbs) => body(W1_DASHBOARD, 'DashboardFromLivePicture', { cbs }));
  const w1Public = inputs.municipalities.map((cbs) => body(W1_PUBLIC_DASHBOARD, 'PublicDashboard', { cbs }));
  const anonymous = inputs.municipalities.map(() => ({}));
  const w2 = [body(W2_NATIONAL_OVERVIEW, 'NationalOverview')];
  const w2Live = [body(W2_NATIONAL_OVERVIEW, 'NationalOverviewFromLivePicture')];
  const w3 = [body(W3_IMPACT, 'Impact', { id: inputs.hubGatewayId })];
  // The same question with a comment unique to each request: ketenbeeld keeps answers per query
  // text (src/modules/overview/kept-what-ifs.ts), so each is judged afresh, as the first ask after
  // a change is. The floor ignores the text.
  const w3First = [body(`${W3_IMPACT}\n# first ask ${UNIQUE}`, 'Impact', { id: inputs.hubGatewayId })];
  const withKetenbeeld = (field: string, bodies: string[], normaliser: NormaliserName, headers?: Record<string, string>[]): Participant[] =>
    missing(field) ? [] : [{ name: 'ketenbeeld', bodies, normaliser, ...(headers ? { headers } : {}) }];
  // W1 is the municipality's own dashboard: each request carries that municipality's token.
  const w1Headers = municipalityHeaders.length === inputs.municipalities.length ? municipalityHeaders : undefined;
  const w1Reader = w1Headers ? 'each with that municipality\'s own token (role MUNICIPALITY)' : 'with a coordinator\'s token (no municipality token could be issued)';

  return [
    {
      id: 'W1', title: 'municipal dashboard', floorBodies: w1, ketenbeeldMissing: missing('Query.municipality'),
      inputs: `${inputs.municipalities.length} municipalities, round-robin, ${w1Reader}`,
      participants: [
        ...withKetenbeeld('Query.municipality', w1, 'dashboard', w1Headers),
        { name: 'floor', bodies: w1, normaliser: 'dashboard' },
        { name: 'postgraphile', bodies: inputs.municipalities.map((cbs) => body(W1_POSTGRAPHILE, 'Dashboard', { cbs })), normaliser: 'postgraphile' },
        { name: 'naive', bodies: w1, normaliser: 'dashboard' },
      ],
    },
    {
      // W1 again; the floor reads the stored live picture ketenbeeld answers from (as W2L for W2), so
      // the ratio is what GraphQL, access and TypeORM cost on the same work.
      id: 'W1L', title: 'municipal dashboard, floor reading the same stored picture', floorBodies: w1Live,
      ketenbeeldMissing: missing('Query.municipality'), inputs: `as W1 (${inputs.municipalities.length} municipalities, ${w1Reader})`,
      participants: [...withKetenbeeld('Query.municipality', w1, 'dashboard', w1Headers), { name: 'floor', bodies: w1Live, normaliser: 'dashboard' }],
    },
    {
      // The public's form of W1: no token, only what the public may select. Its floor reads the stored picture too.
      id: 'W1P', title: 'municipal dashboard as the public asks it (no token)', floorBodies: w1Public,
      ketenbeeldMissing: missing('Query.municipality'),
      inputs: `${inputs.municipalities.length} municipalities, round-robin, no token: \`services { service { name } status cause since }\``,
      participants: [
        ...withKetenbeeld('Query.municipality', w1Public, 'publicDashboard', anonymous),
        { name: 'floor', bodies: w1Public, normaliser: 'publicDashboard' },
      ],
    },
    {
      id: 'W2', title: 'national overview', floorBodies: w2, ketenbeeldMissing: missing('Query.nationalOverview'), inputs: 'one query',
      participants: [...withKetenbeeld('Query.nationalOverview', w2, 'overview'), { name: 'floor', bodies: w2, normaliser: 'overview' }],
    },
    {
      // The same question; the floor reads the stored live picture ketenbeeld answers from, so the
      // ratio is what GraphQL and TypeORM cost on the same work (W2's floor recomputes it from the reports).
      id: 'W2L', title: 'national overview, floor reading the same stored picture', floorBodies: w2Live,
      ketenbeeldMissing: missing('Query.nationalOverview'), inputs: 'one query',
      participants: [...withKetenbeeld('Query.nationalOverview', w2, 'overview'), { name: 'floor', bodies: w2Live, normaliser: 'overview' }],
    },
    {
      id: 'W3', title: 'impact on a hub gateway', floorBodies: w3, ketenbeeldMissing: missing('Query.impact'),
      inputs: `${inputs.hubGatewayName} (${inputs.hubDependants} direct dependants without a redundant alternative)`,
      participants: [...withKetenbeeld('Query.impact', w3, 'impact'), { name: 'floor', bodies: w3, normaliser: 'impact' }],
    },
    {
      id: 'W3F', title: 'impact on a hub gateway, first ask (judged afresh every time)', floorBodies: w3, uniqueToken: UNIQUE,
      ketenbeeldMissing: missing('Query.impact'),
      inputs: `as W3, each request with a comment of its own, so no answer is given again`,
      participants: [...withKetenbeeld('Query.impact', w3First, 'impact'), { name: 'floor', bodies: w3, normaliser: 'impact' }],
    },
    {
      id: 'W4', title: 'reportStatus throughput', floorBodies: [], uniqueToken: UNIQUE, writes: true,
      ketenbeeldMissing: missing('Mutation.reportStatus'),
      inputs: `OPERATIONAL reports (as a vendor integration's heartbeat would send) on ${inputs.quietGatewayIds.length} gateways nothing depends on, each with a new idempotency key; no peer has the mutation`,
      participants: withKetenbeeld('Mutation.reportStatus', inputs.quietGatewayIds.map((id) =>
        body(W4_REPORT_STATUS, 'Report', { input: { componentId: id, status: 'OPERATIONAL', source: 'bench:w4', idempotencyKey: `bench-${UNIQUE}` } })), 'report'),
    },
  ];
}
