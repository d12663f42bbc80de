import { Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { resetStatementStatistics, statementCount, statementList } from './postgres';
import { W4_REPORT_STATUS, W5_STATUS_CHANGED } from './queries';

/**
 * W5, subscription fan-out, in the load-generator process: graphql-ws clients subscribe to
 * `statusChanged(municipalityCbsCode)`, spread round-robin over the municipalities; then one gateway
 * is reported MAJOR_OUTAGE (PRECAUTIONARY_SHUTDOWN) and OPERATIONAL again, alternating, one flip at a
 * time. Per flip: when the mutation was sent, when its HTTP answer arrived (the acknowledgement), and
 * for every subscriber whose municipality the outage reaches, when the last of the events it expects
 * arrived. Subscribers of other municipalities expect nothing; anything they receive is spurious.
 *
 * Three phases, each an even number of flips so the gateway ends OPERATIONAL, each with the SQL
 * statements of the database counted (pg_stat_statements, reset after the subscribers have settled):
 * without subscribers (what the mutation itself costs), with one subscriber per reached municipality,
 * and with every subscriber (the measured one). Statements per flip should not grow from the second to
 * the third: that is "database queries grow with distinct subscriptions, not with subscribers".
 */
export interface FanoutConfig {
  kind: 'fanout';
  httpUrl: string;
  wsUrl: string;
  headers: Record<string, string>;
  /** The municipality (CBS code) of each subscriber, in the order they connect. */
  subscriberMunicipalities: string[];
  /** Global id of the gateway that is switched. */
  gatewayId: string;
  /**
   * Per municipality: per service (global id) whose effective status the outage changes, its status
   * with the gateway down and with it up. Municipalities absent here expect no event.
   */
  expected: Record<string, Record<string, { down: string; up: string }>>;
  /** Flips of the measured phase (every subscriber). */
  flips: number;
  /** Flips of the phase without subscribers and of the phase with one per reached municipality. */
  countingFlips: { none: number; onePerMunicipality: number };
  timeoutSeconds: number;
  /** The bench database, for pg_stat_statements; null when the statistics are unavailable. */
  database: string | null;
}

export interface FanoutPhase {
  name: 'no subscribers' | 'one subscriber per reached municipality' | 'all subscribers';
  subscribers: number;
  /** Of those, how many belong to a municipality the outage reaches. */
  expectingSubscribers: number;
  flips: number;
  /** SQL statements in the bench database per flip (pg_stat_statements, transaction control and SET not counted); null when unavailable. */
  statementsPerFlip: number | null;
  /** Expected (flip, subscriber, service) events received, and those not received within the timeout. */
  delivered: number;
  missing: number;
  /** (flip, subscriber) pairs that did not receive every expected event. */
  incompleteSubscribers: number;
  /** Events nobody should have received: an unreached municipality's, a service not expected, a second copy. */
  spurious: number;
  /** Expected events whose status or previousStatus differs from the what-if's. */
  wrongStatus: number;
}

export interface FanoutResult {
  subscribers: number;
  expectingSubscribers: number;
  flips: number;
  /** Expected events per flip (the same down and up), summed over subscribers. */
  expectedEventsPerFlip: number;
  /** Over every (flip, expecting subscriber): ms from the mutation's acknowledgement to that subscriber's last expected event. */
  fromAckMs: { p50: number; p99: number; max: number };
  /** The same, from sending the mutation. */
  fromSendMs: { p50: number; p99: number; max: number };
  /** Per flip, the slowest subscriber's last event after the acknowledgement; the median over flips. */
  slowestSubscriberFromAckMsMedian: number;
  slowestSubscriberFromSendMsMedian: number;
  /** reportStatus from sending to its HTTP answer, median over the measured flips. */
  mutationMsMedian: number;
  /** Every phase, the measured one last. */
  phases: FanoutPhase[];
  /** The measured phase's statements, most called first, per flip. */
  statements: { perFlip: number; query: string }[];
  problems: string[];
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

function spread(values: number[]): { p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Direction = 'down' | 'up';

interface Change { component: { id: string }; status: string; previousStatus: string }

interface Subscriber {
  cbs: string;
  expected: Map<string, { down: string; up: string }>;
  client: Client | null;
}

/** The flip under way: events are classified as they arrive. */
interface Flip {
  direction: Direction;
  /** Per subscriber index: services received in this flip, and when the last expected one arrived. */
  seen: Map<number, Set<string>>;
  completedAt: Map<number, number>;
  pending: number;
  delivered: number;
  spurious: number;
  wrongStatus: number;
}

export async function runFanout(config: FanoutConfig): Promise<FanoutResult> {
  const problems: string[] = [];
  const problem = (text: string) => {
    if (problems.length < 8) problems.push(text.slice(0, 400));
  };
  const subscribers: Subscriber[] = config.subscriberMunicipalities.map((cbs) => ({
    cbs, expected: new Map(Object.entries(config.expected[cbs] ?? {})), client: null,
  }));
  let current: Flip | null = null;
  /** Events that arrived while no flip was under way: spurious too. */
  let outsideFlips = 0;
  let connected = 0;
  let closedEarly = 0;
  let disposing = false;

  const receive = (index: number, change: Change) => {
    const flip = current;
    if (!flip) {
      outsideFlips++;
      problem(`event outside a flip: subscriber of ${subscribers[index].cbs} got ${change.component.id} ${change.previousStatus} → ${change.status}`);
      return;
    }
    const subscriber = subscribers[index];
    const want = subscriber.expected.get(change.component.id);
    let seen = flip.seen.get(index);
    if (!want || seen?.has(change.component.id)) {
      flip.spurious++;
      problem(`spurious: subscriber of ${subscriber.cbs} got ${change.component.id} ${change.previousStatus} → ${change.status} (${want ? 'a second time' : 'not expected'}) in a ${flip.direction} flip`);
      return;
    }
    if (!seen) flip.seen.set(index, (seen = new Set()));
    seen.add(change.component.id);
    flip.delivered++;
    const [status, previous] = flip.direction === 'down' ? [want.down, want.up] : [want.up, want.down];
    if (change.status !== status || change.previousStatus !== previous) {
      flip.wrongStatus++;
      problem(`wrong status: ${change.component.id} for ${subscriber.cbs}: got ${change.previousStatus} → ${change.status}, the what-if says ${previous} → ${status}`);
    }
    if (seen.size === subscriber.expected.size) {
      flip.completedAt.set(index, performance.now());
      flip.pending--;
    }
  };

  const connect = async (indices: number[]): Promise<void> => {
    const target = connected + indices.length;
    for (const index of indices) {
      const client = createClient({
        url: config.wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: config.headers.authorization },
        lazy: false,
        retryAttempts: 0,
        on: {
          connected: () => void connected++,
          closed: () => {
            if (!disposing) closedEarly++;
          },
        },
      });
      subscribers[index].client = client;
      client.subscribe<{ statusChanged: Change }>(
        { query: W5_STATUS_CHANGED, operationName: 'Changes', variables: { cbs: subscribers[index].cbs } },
        {
          next: (message) => {
            const change = message.data?.statusChanged;
            if (change) receive(index, change);
            if (message.errors) problem(`subscription ${subscribers[index].cbs}: ${JSON.stringify(message.errors)}`);
          },
          error: (error) => problem(`subscription error (${subscribers[index].cbs}): ${error instanceof Error ? error.message : JSON.stringify(error)}`),
          complete: () => undefined,
        },
      );
    }
    const deadline = performance.now() + config.timeoutSeconds * 1000;
    while (connected < target && performance.now() < deadline) await sleep(20);
    if (connected < target) problem(`${target - connected} of ${indices.length} clients did not connect within ${config.timeoutSeconds} s`);
    // The protocol does not acknowledge a subscription: give the server a moment to register them all.
    await sleep(1000 + indices.length);
  };

  const expectingIndices = (indices: number[]) => indices.filter((i) => subscribers[i].expected.size > 0);

  /** Mutation timings and per-subscriber completion of the measured phase. */
  const fromAck: number[] = [];
  const fromSend: number[] = [];
  const slowestFromAck: number[] = [];
  const slowestFromSend: number[] = [];
  const mutationMs: number[] = [];

  let flipCount = 0;
  const runPhase = async (name: FanoutPhase['name'], active: number[], flips: number, measured: boolean): Promise<FanoutPhase> => {
    const expecting = expectingIndices(active);
    const phase: FanoutPhase = {
      name, subscribers: active.length, expectingSubscribers: expecting.length, flips, statementsPerFlip: null,
      delivered: 0, missing: 0, incompleteSubscribers: 0, spurious: 0, wrongStatus: 0,
    };
    const outsideBefore = outsideFlips;
    if (config.database) await resetStatementStatistics();
    for (let i = 0; i < flips; i++) {
      const direction: Direction = i % 2 === 0 ? 'down' : 'up';
      const flip: Flip = {
        direction, seen: new Map(), completedAt: new Map(), pending: expecting.length, delivered: 0, spurious: 0, wrongStatus: 0,
      };
      const input = direction === 'down'
        ? { componentId: config.gatewayId, status: 'MAJOR_OUTAGE', cause: 'PRECAUTIONARY_SHUTDOWN', source: 'bench:w5', idempotencyKey: `bench-w5-${process.pid}-${Date.now()}-${flipCount}` }
        : { componentId: config.gatewayId, status: 'OPERATIONAL', source: 'bench:w5', idempotencyKey: `bench-w5-${process.pid}-${Date.now()}-${flipCount}` };
      flipCount++;
      current = flip;
      const sent = performance.now();
      let acknowledged: number;
      try {
        const response = await fetch(config.httpUrl, {
          method: 'POST',
          headers: { ...config.headers, 'content-type': 'application/json' },
          body: JSON.stringify({ query: W4_REPORT_STATUS, operationName: 'Report', variables: { input } }),
          signal: AbortSignal.timeout(60_000),
        });
        const answer = (await response.json()) as { errors?: unknown[]; data?: { reportStatus?: { replayed: boolean; current: boolean } } };
        acknowledged = performance.now();
        if (answer.errors || !answer.data?.reportStatus) problem(`reportStatus (${direction}): HTTP ${response.status} ${JSON.stringify(answer).slice(0, 300)}`);
        else if (answer.data.reportStatus.replayed || !answer.data.reportStatus.current) problem(`reportStatus (${direction}): ${JSON.stringify(answer.data.reportStatus)}`);
      } catch (error) {
        acknowledged = performance.now();
        problem(`reportStatus (${direction}) failed: ${error instanceof Error ? error.message : String(error)}`);
      }
      const deadline = acknowledged + config.timeoutSeconds * 1000;
      while (flip.pending > 0 && performance.now() < deadline) await sleep(2);
      // Stragglers (a second copy, an event for an unreached municipality) still count as this flip's.
      await sleep(measured ? 150 : 100);

      let slowestAck = -Infinity;
      let slowestSend = -Infinity;
      for (const index of expecting) {
        const seen = flip.seen.get(index)?.size ?? 0;
        const want = subscribers[index].expected.size;
        phase.missing += want - seen;
        const done = flip.completedAt.get(index);
        if (done === undefined) {
          phase.incompleteSubscribers++;
          continue;
        }
        if (measured) {
          fromAck.push(done - acknowledged);
          fromSend.push(done - sent);
        }
        slowestAck = Math.max(slowestAck, done - acknowledged);
        slowestSend = Math.max(slowestSend, done - sent);
      }
      if (measured) {
        mutationMs.push(acknowledged - sent);
        if (Number.isFinite(slowestAck)) {
          slowestFromAck.push(slowestAck);
          slowestFromSend.push(slowestSend);
        }
      }
      phase.delivered += flip.delivered;
      phase.spurious += flip.spurious;
      phase.wrongStatus += flip.wrongStatus;
    }
    current = null;
    await sleep(100);
    phase.spurious += outsideFlips - outsideBefore;
    if (config.database) phase.statementsPerFlip = (await statementCount(config.database)) / Math.max(1, flips);
    return phase;
  };

  const phases: FanoutPhase[] = [];
  let statements: FanoutResult['statements'] = [];
  const all = subscribers.map((_, i) => i);
  // One subscriber for each reached municipality: the first of its subscribers.
  const firstOfEach = new Map<string, number>();
  for (const i of expectingIndices(all)) if (!firstOfEach.has(subscribers[i].cbs)) firstOfEach.set(subscribers[i].cbs, i);
  const base = [...firstOfEach.values()];
  const rest = all.filter((i) => !base.includes(i));
  try {
    phases.push(await runPhase('no subscribers', [], config.countingFlips.none, false));
    await connect(base);
    phases.push(await runPhase('one subscriber per reached municipality', base, config.countingFlips.onePerMunicipality, false));
    await connect(rest);
    phases.push(await runPhase('all subscribers', all, config.flips, true));
    if (config.database) {
      statements = (await statementList(config.database, 12)).map((s) => ({ perFlip: s.calls / Math.max(1, config.flips), query: s.query }));
    }
  } finally {
    disposing = true;
    for (const subscriber of subscribers) await subscriber.client?.dispose();
  }
  if (closedEarly > 0) problem(`${closedEarly} WebSocket connections closed before the end`);

  const measured = phases[phases.length - 1];
  return {
    subscribers: subscribers.length,
    expectingSubscribers: measured.expectingSubscribers,
    flips: config.flips,
    expectedEventsPerFlip: subscribers.reduce((sum, s) => sum + s.expected.size, 0),
    fromAckMs: spread(fromAck),
    fromSendMs: spread(fromSend),
    slowestSubscriberFromAckMsMedian: median(slowestFromAck),
    slowestSubscriberFromSendMsMedian: median(slowestFromSend),
    mutationMsMedian: median(mutationMs),
    phases,
    statements,
    problems,
  };
}
