import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  /** A postgres:// URL that TypeORM and `pg` use like any server's. */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts PGlite (the PostgreSQL engine compiled to WASM) and serves it over the wire protocol on
 * 127.0.0.1, so the rest of the program cannot tell it from a server.
 *
 * Caveats of the engine, which callers must respect: all connections share one session (so no
 * session-level SET), and LISTEN/NOTIFY does not cross connections.
 *
 * @param dataDir a folder for a persistent database, or undefined for one that lives in memory
 *   (tests). The data folder's parent must exist before PGlite opens it.
 */
export async function startEmbeddedPostgres(options: {
  dataDir?: string;
  maxConnections: number;
  port?: number;
}): Promise<EmbeddedPostgres> {
  let db: PGlite;
  if (options.dataDir) {
    const dataDir = path.resolve(options.dataDir);
    fs.mkdirSync(path.dirname(dataDir), { recursive: true });
    db = await PGlite.create(dataDir);
  } else {
    db = await PGlite.create();
  }
  const server = new PGLiteSocketServer({
    db,
    host: '127.0.0.1',
    port: options.port ?? 0,
    maxConnections: options.maxConnections,
  });
  await server.start();
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres?sslmode=disable`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
