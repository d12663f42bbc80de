import { loadConfig } from '../config';
import { createDataSource } from './data-source';

/**
 * For the TypeORM CLI (`npm run migrate`, `npx typeorm migration:show -d dist/src/db/cli-data-source.js`):
 * the same DataSource as the server, for the server named by DATABASE_URL.
 */
const config = loadConfig();
if (!config.databaseUrl) {
  throw new Error('DATABASE_URL is required for the migration CLI; the embedded engine migrates itself on `npm start`.');
}
export default createDataSource({ url: config.databaseUrl, poolSize: 1 });
