/**
 * A client of the fault suite: writers send `reportStatus` with an idempotency key and remember
 * every report the API acknowledged; readers ask a dashboard question. Every answer is recorded
 * with when it came and what it was, so a scenario can say when the API served again.
 */
export interface Answer {
  /** performance.now() when the answer (or the failure) arrived. */
  at: number;
  ms: number;
  kind: 'write' | 'read';
  /** `ok`, `503 SERVICE_UNAVAILABLE`, `ECONNREFUSED`, `ECONNRESET`, `timeout`, … */
  outcome: string;
}

const WRITE = `mutation Report($input: ReportStatusInput!) { reportStatus(input: $input) { statusReport { id } replayed } }`;
const READ = `{ municipality(cbsCode: "GM0855") { services { status } } }`;
const STATUSES = [
  { status: 'OPERATIONAL', cause: null },
  { status: 'DEGRADED_PERFORMANCE', cause: 'FAILURE' },
  { status: 'MAJOR_OUTAGE', cause: 'MAINTENANCE' },
];

export class Load {
  /** idempotency key → the id (uuid) of the report the API answered with. */
  readonly acknowledged = new Map<string, string>();
  /** Keys of writes whose connection was cut after they were sent: the client cannot tell whether they were stored. */
  readonly cutOff: string[] = [];
  readonly answers: Answer[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private sequence = 0;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly componentIds: string[],
    private readonly run: string,
  ) {}

  /** `writers` loops of writes and `readers` loops of reads, each at most one request per `intervalMs`. */
  start(options: { writers: number; readers: number; intervalMs?: number }): void {
    this.running = true;
    const interval = options.intervalMs ?? 80;
    for (let i = 0; i < options.writers; i++) this.loops.push(this.loop(interval, () => this.write()));
    for (let i = 0; i < options.readers; i++) this.loops.push(this.loop(interval, () => this.read()));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
  }

  /** The first answer after `since` that served (ok), of the kind asked for. */
  servedAfter(since: number, kind?: Answer['kind']): Answer | undefined {
    return this.answers.find((answer) => answer.at >= since && answer.outcome === 'ok' && (!kind || answer.kind === kind));
  }

  between(from: number, to: number): Answer[] {
    return this.answers.filter((answer) => answer.at >= from && answer.at <= to);
  }

  private async loop(intervalMs: number, send: () => Promise<void>): Promise<void> {
    while (this.running) {
      const started = performance.now();
      await send();
      const left = intervalMs - (performance.now() - started);
      if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
    }
  }

  private async write(): Promise<void> {
    const n = this.sequence++;
    const key = `${this.run}-${n}`;
    const { status, cause } = STATUSES[n % STATUSES.length];
    const input = { componentId: this.componentIds[n % this.componentIds.length], status, cause, source: 'fault suite', idempotencyKey: key };
    const answer = await this.post({ query: WRITE, variables: { input } }, 'write');
    if (answer.outcome === 'ok') this.acknowledged.set(key, uuidOf(answer.data.reportStatus.statusReport.id as string));
    if (answer.outcome === 'ECONNRESET' || answer.outcome === 'timeout') this.cutOff.push(key);
  }

  private async read(): Promise<void> {
    await this.post({ query: READ }, 'read');
  }

  private async post(body: object, kind: Answer['kind']): Promise<{ outcome: string; data?: any }> {
    const started = performance.now();
    let outcome: string;
    let data: any;
    try {
      const response = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const json = await response.json() as { data?: any; errors?: { extensions?: { code?: string } }[] };
      const code = json.errors?.[0]?.extensions?.code;
      outcome = response.status === 200 && !code ? 'ok' : `${response.status} ${code ?? ''}`.trim();
      data = json.data;
    } catch (error) {
      outcome = failureOf(error);
    }
    const at = performance.now();
    this.answers.push({ at, ms: at - started, kind, outcome });
    return { outcome, data };
  }
}

/** Global ids are base64url of `StatusReport:<uuid>`. */
function uuidOf(globalId: string): string {
  return Buffer.from(globalId, 'base64url').toString('utf8').split(':')[1];
}

/** What the connection did: refused, reset (a request may have been cut off), timed out. */
function failureOf(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timeout';
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code === 'UND_ERR_SOCKET') return 'ECONNRESET';
  return cause?.code ?? (error instanceof Error ? error.message : String(error));
}
