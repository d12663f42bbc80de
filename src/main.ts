// First: with OTEL_EXPORTER_OTLP_ENDPOINT set, tracing must patch http, express, pg and graphql before they load.
import { tracing } from './platform/start-tracing';
import 'reflect-metadata';
import { ConfigError, loadConfig } from './config';
import { Database, openDatabase } from './db/database';
import { holdDataDirectory } from './db/data-directory-lock';
import { issueFirstTokenIfNone } from './modules/access';
import { keepChangeEventsPruned } from './modules/events';
import { recordTimeTaken } from './modules/maintenance';
import { ensurePicture, keepPictureOnTime } from './modules/picture';
import { createLog } from './log';
import { deliverFirstToken } from './platform/first-token';
import { openHttpListener } from './platform/http-listener';
import { limitHeapGrowth } from './platform/memory';
import { Readiness } from './platform/readiness';
import { loadDemoScenarioIfEmpty } from './seed/demo-scenario';
import { RunningServer, startHttpServer } from './server';

/**
 * config → HTTP listener (probes answer from here on) → database (waited for, migrated) → what the
 * server needs before it serves → the API → ready. On SIGTERM/SIGINT: not ready, drain, close.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLog(config.logLevel);
  limitHeapGrowth(config.operations.heapGrowthPercent);
  // The embedded engine's files belong to one process: say so, so the token CLI keeps its hands off.
  const releaseDataDirectory = config.databaseUrl ? () => {} : holdDataDirectory(config.dataDir);

  // /readyz says 503 until `readiness.ready()` below, and again from SIGTERM on.
  const readiness = new Readiness();
  const listener = await openHttpListener(config, log, readiness);
  log.info('listening; not ready yet', { url: listener.url });

  let database: Database | null = null;
  let server: RunningServer | null = null;
  let stopPruning = () => {};
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    readiness.drain();
    listener.stopKeepingAlive();
    log.info('stopping: not ready from now on, draining', { signal, delaySeconds: config.operations.shutdownDelaySeconds });
    // Time for load balancers to see /readyz fail and stop sending, while this instance still serves.
    if (server) await new Promise((resolve) => setTimeout(resolve, config.operations.shutdownDelaySeconds * 1000));
    stopPruning();
    if (server) await server.stop();
    else await listener.drain(0).then(() => listener.close());
    await database?.close();
    await tracing?.shutdown();
    releaseDataDirectory();
    log.info('stopped', { signal });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  database = await openDatabase(config, log);
  readiness.checkDatabaseWith((timeoutMs) => database!.probe.check(timeoutMs));
  if (config.seedDemo === 'auto') {
    const loaded = await loadDemoScenarioIfEmpty(database.dataSource);
    if (loaded) log.info('loaded the January 2020 demo scenario (CVE-2019-19781)');
  }
  await prepareToServe(database, log);
  const firstToken = await issueFirstTokenIfNone(database.dataSource);
  if (firstToken) deliverFirstToken(firstToken.secret, config.operations.firstTokenFile, log);
  if (stopping) return;
  server = await startHttpServer(config, database.dataSource, log, { listener });
  const pruning = keepChangeEventsPruned(database.dataSource, config.changeEventRetentionHours, log);
  // Time changes the picture without a request (maintenance windows, heartbeats): src/modules/picture/picture.clock.ts.
  // What it takes in is recorded with the maintenance windows that began or ended meanwhile.
  const clock = keepPictureOnTime(database.dataSource, { everyMs: 5_000, log, record: recordTimeTaken });
  stopPruning = () => {
    pruning.stop();
    clock.stop();
  };
  readiness.ready();
  log.info('ketenbeeld is ready', { url: server.url });
}

/** What the server needs in the database before it takes a request: the stored picture. */
async function prepareToServe(database: Database, log: ReturnType<typeof createLog>): Promise<void> {
  // Built from the facts when this database never had one (a new database, one loaded in bulk).
  const started = Date.now();
  const judged = await ensurePicture(database.dataSource, new Date());
  if (judged !== null) log.info('stored picture built from the facts', { components: judged, ms: Date.now() - started });
}

main().catch((error: unknown) => {
  process.stderr.write(`ketenbeeld failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
