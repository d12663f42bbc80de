import type { EntityManager } from 'typeorm';
import { createRequestContext, RequestContext } from '../../context';
import type { Log } from '../../log';
import { AccessScope } from '../access';
import { changeEventsAfter, changeEventsPrunedThrough, newestChangeEventSeq } from '../events';
import type { ChangeEvent } from '../events';
import { kindsCovering } from './webhook.kinds';
import { NewDelivery, webhookRepository, WebhookEndpoint } from './webhook.repository';

/** Change events read per fan-out transaction. */
const PAGE = 500;

/**
 * Turns the next page of stored change events into deliveries, in one transaction: the fan-out
 * position (one row, locked with SKIP LOCKED, so one instance at a time and the others go on to
 * deliver), the events after it (one query), the receiving endpoints (one query), per owner the
 * access scope and loaders that decide what it may read (a few batched queries per owner, however
 * many events), one INSERT of every delivery, the new position. A crash anywhere leaves the position
 * where it was: the page is fanned out again, never half. With no enabled endpoint it reads no
 * events and moves the position to the newest one. Returns how many events it fanned out.
 */
export async function fanOutOnce(db: EntityManager, now: Date, log: Log): Promise<number> {
  return db.transaction(async (tx) => {
    const position = await webhookRepository.lockFanout(tx);
    if (position === null) return 0;
    if (!(await webhookRepository.anyEnabledEndpoint(tx))) {
      // Nobody to deliver to: the position moves to the newest event (never below the pruning
      // horizon) without reading any, and nothing pruned was anyone's.
      const newest = Math.max(position, await newestChangeEventSeq(tx));
      if (newest !== position) await webhookRepository.setFanout(tx, newest);
      return 0;
    }
    let from = position;
    const pruned = await changeEventsPrunedThrough(tx);
    if (pruned > from) {
      log.error('change events were pruned before webhook deliveries were queued for them; those changes are not delivered', { from, prunedThrough: pruned });
      from = pruned;
    }
    const events = await changeEventsAfter(tx, from, PAGE);
    if (events.length === 0) {
      if (from !== position) await webhookRepository.setFanout(tx, from);
      return 0;
    }
    const last = events[events.length - 1].seq;
    const endpoints = await webhookRepository.receivingEndpoints(tx, last);
    const deliveries = await deliveriesFor(tx, events, endpoints);
    await webhookRepository.insertDeliveries(tx, deliveries, now);
    await webhookRepository.setFanout(tx, last);
    return events.length;
  });
}

/**
 * Every (event, endpoint) that matches, in event order. Endpoints are grouped by what their owner
 * reads (organisation and role): each group has one context, its checks run over all the events at
 * once (so its loaders batch), and one body per event serves every endpoint of the group.
 */
async function deliveriesFor(tx: EntityManager, events: readonly ChangeEvent[], endpoints: readonly WebhookEndpoint[]): Promise<NewDelivery[]> {
  const groups = new Map<string, WebhookEndpoint[]>();
  for (const endpoint of endpoints) {
    const key = `${endpoint.ownerId}|${endpoint.ownerRole}`;
    groups.set(key, [...(groups.get(key) ?? []), endpoint]);
  }
  // Per event, in order: the deliveries of every group.
  const perEvent: NewDelivery[][] = events.map(() => []);
  for (const members of groups.values()) {
    const ctx = ownerContext(tx, members[0]);
    // Sequential per group, parallel within: loaders of one context batch across the events.
    await Promise.all(events.map(async (event, index) => {
      for (const [name, kind] of kindsCovering(event)) {
        const wanting = members.filter((e) => event.seq > e.fromSeq && (e.eventKinds.length === 0 || e.eventKinds.includes(name)));
        const admitted: WebhookEndpoint[] = [];
        for (const endpoint of wanting) if (await kind.admits(event, endpoint, ctx)) admitted.push(endpoint);
        if (admitted.length === 0) continue;
        const payload = JSON.stringify({
          type: kind.type,
          timestamp: event.occurredAt.toISOString(),
          data: { position: event.seq, occurredAt: event.occurredAt.toISOString(), ...(await kind.data(event, ctx)) },
        });
        for (const endpoint of admitted) perEvent[index].push({ endpointId: endpoint.id, eventSeq: event.seq, eventType: kind.type, eventAt: event.occurredAt, payload });
      }
    }));
  }
  return perEvent.flat();
}

/** What the endpoint's owner would read, through the transaction's own connection. */
function ownerContext(tx: EntityManager, endpoint: WebhookEndpoint): RequestContext {
  const scope = new AccessScope(tx, { kind: 'organisation', organisationId: endpoint.ownerId, role: endpoint.ownerRole, tokenId: `webhook:${endpoint.id}` });
  return createRequestContext(tx, { scope, requestId: `webhook-fanout` });
}
