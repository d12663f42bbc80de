import fs from 'node:fs';
import path from 'node:path';
import { validateXML } from 'xmllint-wasm';
import { loadConfig } from '../../src/config';
import { createLog } from '../../src/log';
import { issueFirstTokenIfNone } from '../../src/modules/access';
import { loadDemoScenario } from '../../src/seed/demo-scenario';
import { RunningServer, startHttpServer } from '../../src/server';
import { openTestDatabase, TestDatabase } from './database';

/** A server on the January 2020 demo, over real HTTP, with a coordinator token for writing. */
export interface DemoServer {
  db: TestDatabase;
  server: RunningServer;
  /** http://127.0.0.1:<port> */
  origin: string;
  token: string;
  /** Reports a status on the named component as the coordinator, observed now. */
  report(componentName: string, status: string, cause?: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startDemoServer(env: Record<string, string> = {}): Promise<DemoServer> {
  const db = await openTestDatabase();
  await db.dataSource.transaction((manager) => loadDemoScenario(manager));
  const token = (await issueFirstTokenIfNone(db.dataSource))!.secret;
  const config = loadConfig({
    NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_BURST: '100000', ...env,
  });
  const server = await startHttpServer(config, db.dataSource, createLog(process.env.KETENBEELD_TEST_LOG === '1' ? 'debug' : 'silent'));
  const origin = server.url.replace(/\/graphql$/, '');
  return {
    db, server, origin, token,
    async report(componentName, status, cause) {
      const [row] = await db.dataSource.query(`SELECT id FROM component WHERE name = $1`, [componentName]);
      const componentId = Buffer.from(`Component:${row.id}`).toString('base64url');
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: 'mutation($input: ReportStatusInput!) { reportStatus(input: $input) { current } }',
          variables: { input: { componentId, status, ...(cause ? { cause } : {}), source: 'public face test' } },
        }),
      });
      const body = (await response.json()) as { errors?: unknown[] };
      if (body.errors) throw new Error(`reportStatus failed: ${JSON.stringify(body.errors)}`);
    },
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

const ATOM_SCHEMA = fs.readFileSync(path.join(__dirname, '../fixtures/atom.rng'), 'utf8');

/** Problems of an Atom document against RFC 4287's schema (RELAX NG, libxml2); empty when valid. */
export async function atomProblems(xml: string): Promise<string[]> {
  const result = await validateXML({ xml: [{ fileName: 'feed.xml', contents: xml }], schema: [ATOM_SCHEMA], extension: 'relaxng' });
  return result.valid ? [] : result.errors.map((error) => error.rawMessage);
}
