import 'reflect-metadata';
import { ConfigError, loadConfig } from './config';
import { openDatabase } from './db/database';
import { holdDataDirectory } from './db/data-directory-lock';
import { issueFirstTokenIfNone } from './modules/access';
import { keepChangeEventsPruned, recordStatusChanges } from './modules/events';
import { ensurePicture, keepPictureOnTime } from './modules/picture';
import { createLog } from './log';
import { loadDemoScenarioIfEmpty } from './seed/demo-scenario';
import { startHttpServer } from './server';

/** config → database → server; drains and closes on SIGTERM/SIGINT. */
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
  // The embedded engine's files belong to one process: say so, so the token CLI keeps its hands off.
  const releaseDataDirectory = config.databaseUrl ? () => {} : holdDataDirectory(config.dataDir);
  const database = await openDatabase(config, log);
  if (config.seedDemo === 'auto') {
    const loaded = await loadDemoScenarioIfEmpty(database.dataSource);
    if (loaded) log.info('loaded the January 2020 demo scenario (CVE-2019-19781)');
  }
  // The stored picture, built from the facts when this database never had one.
  const started = Date.now();
  const judged = await ensurePicture(database.dataSource, new Date());
  if (judged !== null) log.info('stored picture built from the facts', { components: judged, ms: Date.now() - started });
  const firstToken = await issueFirstTokenIfNone(database.dataSource);
  if (firstToken) {
    process.stdout.write(
      `\nFirst coordinator token (shown once, valid 30 days; issue others with the issueAccessToken mutation):\n` +
      `  Authorization: Bearer ${firstToken.secret}\n\n`,
    );
  }
  const server = await startHttpServer(config, database.dataSource, log);
  const pruning = keepChangeEventsPruned(database.dataSource, config.changeEventRetentionHours, log);
  const clock = keepPictureOnTime(database.dataSource, { everyMs: 5_000, log, record: recordStatusChanges });
  log.info(`ketenbeeld serves ${server.url}`);
  process.stdout.write(`ketenbeeld is ready at ${server.url}\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    pruning.stop();
    clock.stop();
    await server.stop();
    await database.close();
    releaseDataDirectory();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`ketenbeeld failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
