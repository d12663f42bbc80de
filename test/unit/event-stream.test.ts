import type { ChangeEvent, EventBatch } from '../../src/modules/events';
import type { BatchListener } from '../../src/modules/events/event-bus';
import { admittedOnly, EventStream, MAX_QUEUED } from '../../src/modules/events/event-stream';
import { statusChangesFor } from '../../src/modules/events/change-event';

/** A bus the test drives by hand. */
class FakeBus {
  listener: BatchListener | null = null;
  listen(listener: BatchListener) {
    this.listener = listener;
    return () => {
      this.listener = null;
    };
  }
  publish(...seqs: number[]) {
    this.listener?.({ events: seqs.map(event) });
  }
}

function event(seq: number): ChangeEvent {
  return { kind: 'INCIDENT', seq, incidentId: 'i', incidentUpdateId: null, incidentState: 'INVESTIGATING', occurredAt: new Date(0) };
}

function stream(bus: FakeBus, options: { since?: number | null; stored?: number[]; matches?: (seq: number) => boolean; replayGate?: Promise<void> } = {}) {
  return new EventStream<number>({
    bus,
    since: options.since ?? null,
    matches: (e) => options.matches?.(e.seq) ?? true,
    replay: async (after, limit) => {
      await options.replayGate;
      return (options.stored ?? []).filter((seq) => seq > after).slice(0, limit).map(event);
    },
    toPayload: (e: ChangeEvent, _batch: EventBatch) => e.seq,
  });
}

async function take(s: EventStream<number>, count: number): Promise<number[]> {
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    const next = await s.next();
    if (next.done) break;
    values.push(next.value);
  }
  return values;
}

test('live events in order, filtered', async () => {
  const bus = new FakeBus();
  const s = stream(bus, { matches: (seq) => seq % 2 === 0 });
  bus.publish(1, 2, 3, 4);
  bus.publish(6);
  expect(await take(s, 3)).toEqual([2, 4, 6]);
});

test('a replay then live events, across the seam without gaps or repeats', async () => {
  const bus = new FakeBus();
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  // Stored: 3..7. Events 6 and 7 also arrive live while the replay is still running, then 8.
  const s = stream(bus, { since: 2, stored: [1, 2, 3, 4, 5, 6, 7], replayGate: gate });
  bus.publish(6, 7);
  bus.publish(8);
  open();
  expect(await take(s, 6)).toEqual([3, 4, 5, 6, 7, 8]);
  bus.publish(9);
  expect(await take(s, 1)).toEqual([9]);
});

test('a long replay is read in pages', async () => {
  const bus = new FakeBus();
  const stored = Array.from({ length: 1234 }, (_, i) => i + 1);
  const s = stream(bus, { since: 0, stored });
  expect(await take(s, 1234)).toEqual(stored);
});

test('return() ends a subscriber that is waiting, at once, and it stops listening', async () => {
  const bus = new FakeBus();
  const s = stream(bus);
  const waiting = s.next();
  await s.return();
  expect(await waiting).toEqual({ value: undefined, done: true });
  expect(bus.listener).toBeNull();
});

test('a subscriber that falls too far behind is cut off with a cursor to resume from', async () => {
  const bus = new FakeBus();
  const s = stream(bus);
  bus.publish(...Array.from({ length: MAX_QUEUED + 1 }, (_, i) => i + 1));
  expect(bus.listener).toBeNull();
  expect((await take(s, MAX_QUEUED)).length).toBe(MAX_QUEUED);
  await expect(s.next()).rejects.toMatchObject({ code: 'RATE_LIMITED' });
});

test('admittedOnly: an asynchronous check narrows the stream, in order, even when later checks answer first; leaving ends the stream beneath', async () => {
  const bus = new FakeBus();
  const inner = stream(bus);
  // Even positions pass; the first check is the slowest, so order would break if checks overlapped.
  const narrowed = admittedOnly(inner, (seq) => new Promise<boolean>((resolve) => setTimeout(() => resolve(seq % 2 === 0), seq === 2 ? 30 : 1)));
  bus.publish(1, 2, 3, 4, 5, 6);
  const values: number[] = [];
  for (let i = 0; i < 3; i++) values.push((await narrowed.next()).value as number);
  expect(values).toEqual([2, 4, 6]);

  const waiting = narrowed.next();
  await narrowed.return!();
  expect(await waiting).toEqual({ value: undefined, done: true });
  expect(bus.listener).toBeNull();
});

test('a municipality’s subscription takes its status changes from the batch grouped once, in order', async () => {
  const status = (seq: number, municipalityIds: string[]): ChangeEvent => ({
    kind: 'STATUS', seq, componentId: `c${seq}`, municipalityIds, status: 'MAJOR_OUTAGE', previousStatus: 'OPERATIONAL',
    cause: 'PRECAUTIONARY_SHUTDOWN', rootCause: [], since: null, stale: false, occurredAt: new Date(0),
  });
  const batch: EventBatch = { events: [status(1, ['a']), status(2, ['b']), event(3), status(4, ['b', 'a']), status(5, [])] };
  expect(statusChangesFor(batch, 'a').map((e) => e.seq)).toEqual([1, 4]);
  expect(statusChangesFor(batch, 'b').map((e) => e.seq)).toEqual([2, 4]);
  expect(statusChangesFor(batch, 'c')).toEqual([]);
  // Grouped once per batch: the same list for every subscriber of a municipality.
  expect(statusChangesFor(batch, 'a')).toBe(statusChangesFor(batch, 'a'));

  let listener: BatchListener | null = null;
  const offered: number[] = [];
  const s = new EventStream<number>({
    bus: { listen: (l) => { listener = l; return () => {}; } },
    since: null,
    matches: (e) => { offered.push(e.seq); return true; },
    candidates: (b) => statusChangesFor(b, 'b'),
    replay: async () => [],
    toPayload: (e) => e.seq,
  });
  listener!(batch);
  expect(await take(s, 2)).toEqual([2, 4]);
  expect(offered).toEqual([2, 4]);
});
