import type { DataSource } from 'typeorm';
import type { Log } from '../../log';
import { EventBus } from './event-bus';
import { InProcessChannel } from './in-process-channel';
import { PostgresChannel } from './postgres-channel';

/**
 * The instance's event bus. On a PostgreSQL server, events travel between instances by
 * LISTEN/NOTIFY. On the embedded engine they cannot (one shared session), and need not: one
 * process owns that database, so its own commits are all there is to hear.
 */
export async function startEventBus(dataSource: DataSource, options: { embedded: boolean; log: Log }): Promise<EventBus> {
  const url = 'url' in dataSource.options ? dataSource.options.url : undefined;
  if (!options.embedded && !url) throw new Error('The event listener needs the DataSource to be configured with a url');
  const channel = options.embedded ? new InProcessChannel(dataSource) : new PostgresChannel(url!, options.log);
  const bus = new EventBus(dataSource.manager, channel, options.log);
  await bus.start();
  return bus;
}
