import { randomUUID } from 'node:crypto';
import { changeEventRepository, NewStatusChange } from '../../src/modules/events/change-event.repository';
import { EventBus, EventChannel } from '../../src/modules/events/event-bus';
import { openTestDatabase, TestDatabase } from '../helpers/database';

/**
 * Stored change events are read back a page at a time, by every instance after every write and by
 * every subscriber that resumes from a `since` cursor. A hub going down is one write of tens of
 * thousands of events: a page that starts in the middle of such a write, or spans the end of one
 * write and the start of the next, must hold exactly the positions after the cursor, in order.
 */
let db: TestDatabase;

beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db.close();
});

function changes(count: number): NewStatusChange[] {
  return Array.from({ length: count }, () => ({
    componentId: randomUUID(), municipalityIds: [], status: 'MAJOR_OUTAGE', previousStatus: 'OPERATIONAL',
    cause: 'DEPENDENCY', rootCause: [], since: new Date('2020-01-17T23:00:00Z'), stale: false,
  }));
}

/** One write of `written`, committed: its events get positions as it commits. */
async function commitWrite(written: NewStatusChange[]): Promise<void> {
  await db.dataSource.transaction(async (tx) => {
    const writeId = await changeEventRepository.newWrite(tx, written.length);
    await changeEventRepository.insertStatusChanges(tx, writeId, 1, written);
  });
}

test('pages of events hold exactly the positions after the cursor, across and inside writes', async () => {
  const manager = db.dataSource.manager;
  const start = await changeEventRepository.lastSeq(manager);
  const writes = [changes(1), changes(1234), changes(3), changes(600)];
  for (const written of writes) await commitWrite(written);
  const inOrder = writes.flat().map((c) => c.componentId);

  // From the start, a page at a time, as an instance drains after a notification.
  const read: { seq: number; componentId: string }[] = [];
  for (let cursor = start; ;) {
    const page = await changeEventRepository.after(manager, cursor, 500);
    if (page.length === 0) break;
    expect(page.length).toBeLessThanOrEqual(500);
    for (const event of page) read.push({ seq: event.seq, componentId: event.kind === 'STATUS' ? event.componentId : '' });
    cursor = page[page.length - 1].seq;
  }
  expect(read.map((e) => e.seq)).toEqual(inOrder.map((_, i) => start + 1 + i));
  expect(read.map((e) => e.componentId)).toEqual(inOrder);

  // A cursor in the middle of the large write; a page that runs from it into the next writes.
  for (const [cursor, limit] of [[start + 700, 500], [start + 1200, 100], [start + 1234, 5], [start + 1237, 10_000]]) {
    const page = await changeEventRepository.after(manager, cursor, limit);
    const expected = inOrder.slice(cursor - start, cursor - start + limit);
    expect(page.map((e) => e.seq)).toEqual(expected.map((_, i) => cursor + 1 + i));
    expect(page.map((e) => (e.kind === 'STATUS' ? e.componentId : ''))).toEqual(expected);
  }

  // A subscriber's replay from the middle of the large write: only what came after its cursor.
  const replayed = await changeEventRepository.replay(manager, start + 1000, { kind: 'STATUS' }, 300);
  expect(replayed.map((e) => e.seq)).toEqual(Array.from({ length: 300 }, (_, i) => start + 1001 + i));
  const one = inOrder[1100];
  const followed = await changeEventRepository.replay(manager, start + 1000, { kind: 'STATUS', componentId: one }, 10);
  expect(followed.map((e) => e.seq)).toEqual([start + 1101]);
  expect(await changeEventRepository.replay(manager, start + 1101, { kind: 'STATUS', componentId: one }, 10)).toEqual([]);
});

/** Until `done()` holds, or fails after two seconds. */
async function until(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('not within two seconds');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('with no subscription listening the bus reads no events, only where the stream stands; a subscription after that gets what follows', async () => {
  // The channel is the test: it wakes the bus when told, as a NOTIFY or a commit would.
  let wakeBus: () => void = () => {};
  const channel: EventChannel = { start: async (wake) => { wakeBus = wake; }, stop: async () => {} };
  const bus = new EventBus(db.dataSource.manager, channel, { debug() {}, info() {}, warn() {}, error() {} });
  await bus.start();
  let told = 0;
  bus.watch(() => { told += 1; });
  try {
    await commitWrite(changes(1234));
    const newest = await changeEventRepository.lastSeq(db.dataSource.manager);
    wakeBus();
    await until(() => bus.position === newest);
    expect(bus.stats.fetches).toBe(0);
    expect(told).toBe(1);

    // A subscription from now on: the next write's events, from the position after the skipped ones.
    const received: number[] = [];
    bus.listen((batch) => received.push(...batch.events.map((e) => e.seq)));
    await commitWrite(changes(3));
    wakeBus();
    await until(() => received.length === 3);
    expect(received).toEqual([newest + 1, newest + 2, newest + 3]);
    expect(bus.stats.fetches).toBeGreaterThan(0);
    expect(told).toBe(2);
  } finally {
    await bus.stop();
  }
});
