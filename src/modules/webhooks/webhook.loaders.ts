import DataLoader from 'dataloader';
import { EntityManager } from 'typeorm';
import { byKey } from '../../common/batch';
import { webhookRepository, WebhookDelivery, WebhookEndpoint } from './webhook.repository';

export interface DeliveryPageKey {
  endpointId: string;
  limit: number;
  /** The `queued` of the last delivery seen (the log runs newest first). */
  after: number | null;
}

export interface DeliveryPage {
  rows: WebhookDelivery[];
  total: number;
}

export function createWebhookLoaders(db: EntityManager) {
  return {
    webhookEndpointById: new DataLoader<string, WebhookEndpoint | null>(async (ids) =>
      byKey(ids, await webhookRepository.endpointsByIds(db, ids), (row) => row.id)),
    webhookDeliveryById: new DataLoader<string, WebhookDelivery | null>(async (ids) =>
      byKey(ids, await webhookRepository.deliveriesByIds(db, ids), (row) => row.id)),
    /** Keys that share a page size and cursor are answered by one statement. */
    webhookDeliveryPage: new DataLoader<DeliveryPageKey, DeliveryPage, string>(async (keys) => {
      const answers = new Map<string, DeliveryPage>();
      const groups = new Map<string, DeliveryPageKey[]>();
      for (const key of keys) groups.set(`${key.limit}|${key.after}`, [...(groups.get(`${key.limit}|${key.after}`) ?? []), key]);
      for (const [group, members] of groups) {
        const pages = await webhookRepository.deliveryPages(db, members.map((m) => m.endpointId), members[0].after, members[0].limit);
        for (const member of members) answers.set(`${group}|${member.endpointId}`, pages.get(member.endpointId) ?? { rows: [], total: 0 });
      }
      return keys.map((key) => answers.get(`${key.limit}|${key.after}|${key.endpointId}`)!);
    }, { cacheKeyFn: (key) => `${key.limit}|${key.after}|${key.endpointId}` }),
  };
}
