export { WebhookWorker } from './webhook.worker';
export type { WebhookWorkerOptions } from './webhook.worker';
export { createWebhookLoaders } from './webhook.loaders';
export { webhookResolvers } from './webhook.resolvers';
export { nextRetry, retryDelayMs, GIVE_UP_AFTER_MS } from './webhook.schedule';
export { signatureOf } from './webhook.sender';
