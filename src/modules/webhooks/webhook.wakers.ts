/**
 * The delivery workers running in this process. A mutation that makes a delivery due without a
 * change event (a redelivery, an endpoint enabled again) wakes them after it commits; workers of
 * other instances find it at their next wake (a change, a retry falling due, their idle check).
 */
const wakers = new Set<() => void>();

export function registerWebhookWaker(wake: () => void): () => void {
  wakers.add(wake);
  return () => {
    wakers.delete(wake);
  };
}

export function wakeWebhookWorkers(): void {
  for (const wake of wakers) wake();
}
