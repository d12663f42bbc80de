import { CONTENDER_TITLES, ContenderName } from './contenders';
import type { FanoutPhase, FanoutResult } from './fanout';
import type { DependantsCheck } from './dependants';
import { W7Report, w7Markdown } from './w7';
import type { ContenderOutcome, WorkloadOutcome } from './measure';
import { W1_DEPTH } from './queries';
import type { MixedReport } from './w4-mixed';

export interface RunReport {
  startedAt: string;
  finishedAt: string;
  mode: 'quick' | 'full';
  options: { scale: number; seed: number; rounds: number; seconds: number; only?: string[] };
  machine: { cpus: number; node: string; postgres: string; serverCore: number; loadCore: number };
  ketenbeeld: { commit: string; dirty: boolean; runnable: string };
  dataset: { name: string; counts: Record<string, number> | null; reused: boolean; loadSeconds: number };
  statementStatistics: string;
  floorAssumptionViolations: number;
  notRunnable: Record<string, string>;
  workloads: WorkloadOutcome[];
  fanout: FanoutReport | null;
  /** W4's correctness on components others depend on (dependants.ts). */
  dependants: DependantsCheck | null;
  /** W7, a vendor's bulk shutdown (w7.ts); absent in runs before it. */
  w7?: W7Report | null;
  /** W4 mixed (w4-mixed.ts). */
  mixed: MixedReport | null;
  notAvailable: { id: string; title: string; reason: string }[];
  peakMemoryMiB: Record<string, number | null>;
  /** ketenbeeld's VmHWM after each part in run order (absent in results written before it was kept). */
  peakAfterPart?: { part: string; peakMiB: number | null }[];
}

/** W5: the gateway switched, what its outage changes, and the measurement. */
export interface FanoutReport {
  gateway: {
    id: string;
    name: string;
    /** Components depending on it, directly or not (live edges), and the most the pick allowed. */
    dependants: number;
    bound: number;
    /** Reached through edges without a redundant alternative: municipalities, and services delivered to them. */
    municipalitiesReached: number;
    servicesReached: number;
  } | null;
  /** From the what-ifs of the outage and the recovery: the services whose status changes, where they are delivered. */
  expectation: {
    source: string;
    services: number;
    municipalities: number;
    /** Service × municipality pairs: the events per flip if each municipality had one subscriber. */
    deliveries: number;
    /** Service × municipality statuses on which ketenbeeld's what-ifs differ from the floor's; null when only ketenbeeld's were asked. */
    disagreements: number | null;
  } | null;
  /** Municipalities subscribed to (every one of the dataset's). */
  municipalities: number;
  subscribers: number;
  flips: number;
  result: FanoutResult | null;
  error: string | null;
}

function n(value: number | null | undefined, digits = 1): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

function ratio(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : `${value.toFixed(2)}×`;
}

interface Target { text: string; value: string; met: boolean | null }

function targets(report: RunReport): Target[] {
  const w = (id: string) => report.workloads.find((x) => x.id === id);
  const c = (id: string, name: ContenderName) => w(id)?.contenders.find((x) => x.name === name);
  const r = (id: string, peer: string) => w(id)?.ratios[peer];
  const check = (value: number | null | undefined, ok: (v: number) => boolean): boolean | null =>
    value === null || value === undefined || !Number.isFinite(value) ? null : ok(value);
  const list: Target[] = [];
  const add = (text: string, value: number | null | undefined, ok: (v: number) => boolean, format = ratio) =>
    list.push({ text, value: format(value), met: check(value, ok) });
  add('W1 throughput ≥ 1.5× PostGraphile v5', r('W1', 'postgraphile')?.throughput, (v) => v >= 1.5);
  add('W1 throughput ≥ 0.7× the raw-SQL floor', r('W1', 'floor')?.throughput, (v) => v >= 0.7);
  add('W1 p50 ≤ 1.5× the floor', r('W1', 'floor')?.p50, (v) => v <= 1.5);
  add('W1 p99 ≤ 2× the floor', r('W1', 'floor')?.p99, (v) => v <= 2);
  add(`W1 SQL statements per request ≤ query depth + 1 (${W1_DEPTH + 1})`, c('W1', 'ketenbeeld')?.statementsPerRequest, (v) => v <= W1_DEPTH + 1, (v) => n(v, 1));
  // Labelled: the same count without the rate limiter's bookkeeping (a product feature, measured in full in the row above).
  const w1 = c('W1', 'ketenbeeld');
  const bookkeeping = w1?.statements.filter((x) => /^INSERT INTO "?rate_limit"?/i.test(x.query)).reduce((sum, x) => sum + x.perRequest, 0) ?? 0;
  add(`W1 SQL statements per request without the rate limiter's bookkeeping (${n(bookkeeping, 1)} INSERT INTO rate_limit per request left out) ≤ ${W1_DEPTH + 1}`,
    w1?.statementsPerRequest === null || w1?.statementsPerRequest === undefined ? null : w1.statementsPerRequest - bookkeeping, (v) => v <= W1_DEPTH + 1, (v) => n(v, 1));
  add('W2 latency ≤ 1.25× the floor (p50)', r('W2', 'floor')?.p50, (v) => v <= 1.25);
  add('W2 latency ≤ 1.25× a floor reading the same stored picture (p50)', r('W2L', 'floor')?.p50, (v) => v <= 1.25);
  add('W3 latency ≤ 1.25× the floor (p50), the same what-if asked again', r('W3', 'floor')?.p50, (v) => v <= 1.25);
  add('W3 latency ≤ 1.25× the floor (p50), first ask (W3F)', r('W3F', 'floor')?.p50, (v) => v <= 1.25);
  add('W3 on a hub gateway under 50 ms (p50), the same what-if asked again', c('W3', 'ketenbeeld')?.p50, (v) => v < 50, (v) => `${n(v, 1)} ms`);
  add('W3 on a hub gateway under 50 ms (p50), first ask (W3F)', c('W3F', 'ketenbeeld')?.p50, (v) => v < 50, (v) => `${n(v, 1)} ms`);
  // Issue 13's targets: against floors reading the same stored picture, the public's form, writes that do not queue.
  add('W1 throughput ≥ 0.7× W1L (the floor reading the same stored picture)', r('W1L', 'floor')?.throughput, (v) => v >= 0.7);
  add('W1 p50 ≤ 1.5× W1L', r('W1L', 'floor')?.p50, (v) => v <= 1.5);
  add('W1P (public form, no token) throughput ≥ 0.7× its floor on the stored picture', r('W1P', 'floor')?.throughput, (v) => v >= 0.7);
  add('W1P p50 ≤ 1.5× its floor on the stored picture', r('W1P', 'floor')?.p50, (v) => v <= 1.5);
  add('One W1 request alone ≤ 10 ms (median, one at a time)', c('W1', 'ketenbeeld')?.singleRequestMs, (v) => v <= 10, (v) => `${n(v, 1)} ms`);
  add('W2 ≤ 1.1× W2L (p50)', r('W2L', 'floor')?.p50, (v) => v <= 1.1);
  add('W3F ≤ 1.0× its floor (p50)', r('W3F', 'floor')?.p50, (v) => v <= 1.0);
  const mixed = report.mixed;
  add('W4 mixed (1% on components with dependants, the hub among them) ≥ 300 reports/s at saturation', mixed?.throughput, (v) => v >= 300, (v) => `${n(v, 1)}/s`);
  add('W4 mixed: p99 of the other reports while a hub report runs ≤ 100 ms', mixed?.quietDuringHubP99, (v) => v <= 100, (v) => `${n(v, 0)} ms`);
  add('W4 mixed: the hub report itself ≤ 500 ms (slowest)', mixed && mixed.hubMs.length ? Math.max(...mixed.hubMs) : null, (v) => v <= 500,
    (v) => `${n(v, 0)} ms (${mixed?.hubMs.map((x) => x.toFixed(0)).join(', ')})`);
  list.push({
    text: 'W4 mixed: every dependant right after the mixed reports (overview and the hub\'s what-if against the floor)',
    value: mixed?.agreesAfter ? `overview ${mixed.agreesAfter.overview ? 'agrees' : 'differs'}, what-if ${mixed.agreesAfter.impact ? 'agrees' : 'differs'}` : '–',
    met: mixed?.agreesAfter ? mixed.agreesAfter.overview && mixed.agreesAfter.impact : null,
  });
  const rss = report.peakMemoryMiB.ketenbeeld;
  const rssMb = rss === null || rss === undefined ? null : (rss * 1024 * 1024) / 1e6;
  add(`Peak ketenbeeld RSS ≤ 600 MB at scale 1${report.options.scale === 1 ? '' : ` (this run: scale ${report.options.scale})`}`, rssMb, (v) => v <= 600, (v) => `${n(v, 0)} MB`);
  // No target of its own: how far the hub report alone (the first two reports, down and up: pickComponents puts the hub
  // first) is from what storing its outcome costs PostgreSQL (dependants.ts).
  const hubAlone = (report.dependants?.reports ?? []).filter((r, i) => i < 2 && r.storingFloorMs);
  list.push({
    text: 'W4: the hub report alone ÷ PostgreSQL\'s floor for storing its outcome per component (no target; down, up)',
    value: hubAlone.length > 0 ? hubAlone.map((r) => `${(r.mutationMs / r.storingFloorMs!).toFixed(2)}× (${n(r.mutationMs, 0)} / ${n(r.storingFloorMs, 0)} ms)`).join(', ') : '–',
    met: null,
  });
  const checked = report.dependants?.reports ?? [];
  const agreeing = checked.filter((r) => r.overviewAgrees && r.impactAgrees).length;
  list.push({
    text: 'W4 effective status of every dependant right after each report (reports on components others depend on, W3\'s hub among them)',
    value: checked.length > 0 ? `${agreeing} of ${checked.length} reports agree with the floor${report.dependants?.error ? `; stopped: ${report.dependants.error}` : ''}` : '–',
    met: checked.length > 0 ? agreeing === checked.length && !report.dependants?.error : null,
  });
  const fanout = report.fanout?.result;
  const measured = fanout?.phases[fanout.phases.length - 1];
  // Every expected event must arrive, and nothing else, for a delivery time to count.
  const clean = measured ? measured.missing === 0 && measured.spurious === 0 : false;
  list.push({
    text: 'W5 p99 delivery ≤ 1 s after the mutation\'s acknowledgement (1,000 subscribers)',
    value: fanout && measured
      ? `${n(fanout.fromAckMs.p99, 0)} ms (${fanout.subscribers} subscribers${clean ? '' : `; ${measured.missing} missing, ${measured.spurious} spurious`})`
      : '–',
    met: fanout && Number.isFinite(fanout.fromAckMs.p99) ? fanout.fromAckMs.p99 <= 1000 && clean : null,
  });
  const one = fanout?.phases.find((p) => p.name === 'one subscriber per reached municipality');
  const perFlip = (p: FanoutPhase | undefined) => p?.statementsPerFlip ?? null;
  // Independent: the measured phase's statements per flip within 10% (at least 2) of one subscriber per municipality's.
  const a = perFlip(one);
  const b = perFlip(measured);
  list.push({
    text: `W5 SQL statements per flip independent of subscribers (${one?.subscribers ?? '–'} vs ${measured?.subscribers ?? '–'})`,
    value: a !== null && b !== null ? `${n(a, 1)} vs ${n(b, 1)}` : '–',
    met: a !== null && b !== null ? Math.abs(b - a) <= Math.max(2, 0.1 * a) : null,
  });
  return list;
}

function contenderRow(c: ContenderOutcome): string {
  const wrong = c.validation.wrong + c.saturation.concat(c.fixedRate).reduce((sum, r) => sum + r.wrongAnswers + r.errors + r.timeouts, 0);
  const checked = c.validation.checked + c.saturation.concat(c.fixedRate).reduce((sum, r) => sum + r.requests, 0);
  const sat = c.saturation.map((r) => r.latencyMs.p50);
  const satP50 = sat.length ? sat.sort((a, b) => a - b)[sat.length >> 1] : null;
  return `| ${c.name} | ${n(c.peakThroughput, 2)} | ${c.fixedRatePerSecond ? `${n(c.p50, 0)} / ${n(c.p99, 0)} @ ${c.fixedRatePerSecond}/s` : `(saturated p50 ${n(satP50, 0)})`} | ${n(c.singleRequestMs, 0)} | ${n(c.statementsPerRequest, 1)} | ${checked} | ${wrong} |`;
}

export function markdown(report: RunReport): string {
  const lines: string[] = [];
  lines.push(`# ketenbeeld benchmark: ${report.mode} run, scale ${report.options.scale}`);
  lines.push('');
  lines.push(`${report.startedAt} → ${report.finishedAt}. ketenbeeld at ${report.ketenbeeld.commit.slice(0, 10)}${report.ketenbeeld.dirty ? ' (work tree with uncommitted changes)' : ''}: ${report.ketenbeeld.runnable}.`);
  lines.push(`Machine: ${report.machine.cpus} cores, Node ${report.machine.node}, ${report.machine.postgres}. Load generator (autocannon) on core ${report.machine.loadCore}; servers and their PostgreSQL backends on core ${report.machine.serverCore}.`);
  if (report.options.only) lines.push(`A partial run (\`--only ${report.options.only.join(',')}\`): the targets of the parts left out are not measured here.`, '');
  lines.push(`${report.options.rounds} rounds per workload, contenders alternating (A B … then … B A); ${report.options.seconds} s per timed run. Ratios are medians of per-round ratios, ketenbeeld ÷ peer.`);
  lines.push('');
  lines.push(`Dataset \`${report.dataset.name}\` (seed ${report.options.seed})${report.dataset.reused ? ', reused' : `, loaded in ${report.dataset.loadSeconds.toFixed(1)} s`}${report.dataset.counts ? ': ' + Object.entries(report.dataset.counts).map(([k, v]) => `${v} ${k}`).join(', ') : ''}.`);
  lines.push(`Autovacuum off; VACUUM (ANALYZE) of the dataset after every part and before every W4 mixed run. SQL statement counts: ${report.statementStatistics}. Floor exactness check: ${report.floorAssumptionViolations === 0 ? 'redundancy-group members depend on nothing, as the floor assumes' : `${report.floorAssumptionViolations} group edges break the floor's assumption: its answers may be wrong`}.`);
  lines.push('');
  lines.push('## Targets');
  lines.push('');
  lines.push('| target | measured | met |');
  lines.push('|---|---|---|');
  for (const t of targets(report)) lines.push(`| ${t.text} | ${t.value} | ${t.met === null ? 'not measured' : t.met ? 'yes' : '**no**'} |`);
  const memory = Object.entries(report.peakMemoryMiB).map(([k, v]) => `${k} ${v ?? '–'} MiB`).join(', ');
  lines.push('');
  lines.push(`Peak server memory under load (VmHWM): ${memory}.`);
  if (report.peakAfterPart && report.peakAfterPart.length > 0) {
    lines.push(`ketenbeeld's peak after each part, in the order they ran (the part where it rises set it): ${report.peakAfterPart.map((p) => `${p.part} ${p.peakMiB ?? '–'}`).join(', ')} MiB.`);
  }
  for (const w of report.workloads) {
    lines.push('');
    lines.push(`## ${w.id} ${w.title}`);
    lines.push('');
    lines.push(`Inputs: ${w.inputs}.${w.ketenbeeldMissing ? ` ketenbeeld not measured: ${w.ketenbeeldMissing}.` : ''}`);
    if (w.error) {
      lines.push('');
      lines.push(`Not measured: ${w.error}`);
      continue;
    }
    lines.push('');
    lines.push('| contender | peak req/s (median) | p50 / p99 ms at fixed rate | one request alone, ms | SQL statements / request | answers checked | wrong or failed |');
    lines.push('|---|---|---|---|---|---|---|');
    for (const c of w.contenders) lines.push(contenderRow(c));
    const peers = Object.entries(w.ratios);
    if (peers.length > 0) {
      lines.push('');
      lines.push('| ketenbeeld ÷ peer | throughput | p50 | p99 |');
      lines.push('|---|---|---|---|');
      for (const [peer, r] of peers) lines.push(`| ${peer} | ${ratio(r.throughput)} | ${ratio(r.p50)} | ${ratio(r.p99)} |`);
    }
    const ketenbeeld = w.contenders.find((c) => c.name === 'ketenbeeld');
    if (ketenbeeld && ketenbeeld.statements.length > 0) {
      lines.push('');
      lines.push('ketenbeeld\'s SQL per request (pg_stat_statements):');
      lines.push('');
      for (const st of ketenbeeld.statements) lines.push(`- ${n(st.perRequest, 1)} × \`${st.query.replace(/`/g, "'").slice(0, 160)}\``);
    }
    const problems = w.contenders.filter((c) => c.validation.problems.length > 0);
    if (problems.length > 0) {
      lines.push('');
      lines.push('Answers that differ from the floor (first few):');
      for (const c of problems) for (const p of c.validation.problems.slice(0, 3)) lines.push(`- ${c.name}: ${p.replace(/\n/g, ' ').slice(0, 400)}`);
    }
  }
  if (report.dependants) {
    const d = report.dependants;
    lines.push('');
    lines.push('## W4 reports on components others depend on');
    lines.push('');
    lines.push('W4\'s throughput runs report on gateways nothing depends on. Here ketenbeeld gets one report at a time on components that others '
      + 'depend on (W3\'s hub first, then others with at least three direct dependants, each OPERATIONAL before): MAJOR_OUTAGE, then OPERATIONAL again. '
      + 'After each, its national overview (answered from the stored picture that the report kept current) and its what-if of the component\'s '
      + 'new status (no longer hypothetical: every service × municipality above it) are compared with the floor\'s, which judges the reports.'
      + (d.error ? ` Stopped: ${d.error}` : ''));
    lines.push('');
    lines.push('"Storing floor": PostgreSQL alone storing such an outcome in a picture kept per component, measured right before each report on the same picture '
      + '(one UPDATE of every row at and above the component, a change event for each whose status that changes, no judging; rolled back; dependants.ts, storingFloorMs). '
      + 'It is a floor for the hub, all of whose dependants change; above other components it may write rows whose status does not change.');
    lines.push('');
    lines.push('| component | kind | direct dependants | reported | reportStatus ms | storing floor ms (rows, events) | ÷ floor | services × municipalities not OPERATIONAL | overview agrees | what-if agrees |');
    lines.push('|---|---|---|---|---|---|---|---|---|---|');
    for (const r of d.reports) {
      const floor = r.storingFloorMs === null || r.storingFloorMs === undefined ? '–' : `${n(r.storingFloorMs, 0)} (${r.storingFloorRows}, ${r.storingFloorEvents ?? '–'})`;
      const ratio = r.storingFloorMs ? `${(r.mutationMs / r.storingFloorMs).toFixed(2)}×` : '–';
      lines.push(`| ${r.component} | ${r.kind} | ${r.directDependants} | ${r.status} | ${n(r.mutationMs, 0)} | ${floor} | ${ratio} | ${r.affected} | ${r.overviewAgrees ? 'yes' : '**no**'} | ${r.impactAgrees ? 'yes' : '**no**'} |`);
    }
    const problems = d.reports.flatMap((r) => r.problems.map((p) => `${r.component} ${r.status}: ${p}`));
    if (problems.length > 0) {
      lines.push('');
      for (const p of problems.slice(0, 5)) lines.push(`- ${p.replace(/\n/g, ' ').slice(0, 400)}`);
    }
  }
  if (report.fanout) {
    const f = report.fanout;
    const g = f.gateway;
    const e = f.expectation;
    lines.push('');
    lines.push('## W5 subscription fan-out (graphql-ws)');
    lines.push('');
    lines.push(`${f.subscribers} clients subscribed to \`statusChanged(municipalityCbsCode)\`, round-robin over all ${f.municipalities} municipalities. `
      + (g
        ? `The gateway **${g.name}** (${g.dependants} components depend on it, directly or not; the pick allows at most ${g.bound}; not W3's hub; `
          + `OPERATIONAL in its own newest report) reaches ${g.servicesReached} services delivered to ${g.municipalitiesReached} municipalities `
          + 'through dependencies without a redundant alternative. It is reported MAJOR_OUTAGE (PRECAUTIONARY_SHUTDOWN) and OPERATIONAL again, '
          + `alternating, ${f.flips} times, one flip at a time, each after every subscriber has its events (or 10 s).`
        : 'No gateway was picked.'));
    if (e) {
      lines.push('');
      lines.push(`Expected, from ${e.source} of the outage and of the recovery: ${e.services} services change status, delivered to ${e.municipalities} municipalities `
        + `(${e.deliveries} service × municipality pairs); a subscriber of such a municipality expects one event per flip for each of its services, `
        + 'with the what-if\'s status and previous status; a subscriber of any other municipality expects none, and anything it receives counts as spurious.'
        + (e.disagreements === null ? '' : ` ketenbeeld's own impact for the same two what-ifs differs from the floor's on ${e.disagreements} service × municipality statuses.`));
    }
    lines.push('');
    if (f.result) {
      const r = f.result;
      const measured = r.phases[r.phases.length - 1];
      lines.push(`Measured with all ${r.subscribers} subscribers, ${r.expectingSubscribers} of them in reached municipalities: ${r.expectedEventsPerFlip} expected events per flip. `
        + 'Per flip and expecting subscriber: the arrival of its last expected event, from the moment reportStatus\'s HTTP answer arrived (the acknowledgement) and from the moment it was sent; '
        + `negative means the events arrived before the answer; over the ${r.flips * r.expectingSubscribers - measured.incompleteSubscribers} of ${r.flips * r.expectingSubscribers} (flip, subscriber) pairs that had every expected event within 10 s. `
        + 'Clients run in the load-generator process on their own core; no peer has subscriptions.');
      lines.push('');
      lines.push('| | p50 ms | p99 ms | max ms | slowest subscriber per flip, median ms |');
      lines.push('|---|---|---|---|---|');
      lines.push(`| last event after the acknowledgement | ${n(r.fromAckMs.p50, 0)} | ${n(r.fromAckMs.p99, 0)} | ${n(r.fromAckMs.max, 0)} | ${n(r.slowestSubscriberFromAckMsMedian, 0)} |`);
      lines.push(`| last event after sending the mutation | ${n(r.fromSendMs.p50, 0)} | ${n(r.fromSendMs.p99, 0)} | ${n(r.fromSendMs.max, 0)} | ${n(r.slowestSubscriberFromSendMsMedian, 0)} |`);
      lines.push('');
      lines.push(`reportStatus from sending to its answer: median ${n(r.mutationMsMedian, 0)} ms.`);
      lines.push('');
      lines.push('SQL statements per flip (pg_stat_statements over the bench database, reset once the phase\'s subscribers had connected; the mutation\'s own statements included), and deliveries:');
      lines.push('');
      lines.push('| phase | subscribers (in reached municipalities) | flips | SQL statements / flip | events delivered | missing | subscriber-flips incomplete | spurious | wrong status |');
      lines.push('|---|---|---|---|---|---|---|---|---|');
      for (const p of r.phases) {
        lines.push(`| ${p.name} | ${p.subscribers} (${p.expectingSubscribers}) | ${p.flips} | ${n(p.statementsPerFlip, 1)} | ${p.delivered} | ${p.missing} | ${p.incompleteSubscribers} | ${p.spurious} | ${p.wrongStatus} |`);
      }
      if (r.statements.length > 0) {
        lines.push('');
        lines.push(`ketenbeeld's SQL per flip with all subscribers (pg_stat_statements):`);
        lines.push('');
        for (const st of r.statements) lines.push(`- ${n(st.perFlip, 1)} × \`${st.query.replace(/`/g, "'").slice(0, 160)}\``);
      }
      if (r.problems.length > 0) lines.push('');
      for (const p of r.problems) lines.push(`- problem: ${p.replace(/\n/g, ' ')}`);
    } else {
      lines.push(`Not measured: ${f.error}`);
    }
  }
  for (const x of report.notAvailable) {
    lines.push('');
    lines.push(`## ${x.id} ${x.title}`);
    lines.push('');
    lines.push(`Not available: ${x.reason}.`);
  }
  lines.push('');
  lines.push('## Contenders');
  lines.push('');
  for (const [name, title] of Object.entries(CONTENDER_TITLES)) {
    lines.push(`- **${name}**: ${title}${report.notRunnable[name] ? ` — not runnable: ${report.notRunnable[name]}` : ''}`);
  }
  lines.push('');
  if (report.w7) lines.push('', w7Markdown(report.w7, report.options.scale));
  return lines.join('\n');
}
