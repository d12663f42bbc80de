import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildServer, ROOT as root, ServerProcess } from '../helpers/server-process';

/**
 * `npm start` with no DATABASE_URL: the built server on the embedded engine, over real HTTP.
 * It must boot, load the demo once, answer, stop cleanly on SIGTERM and keep its data.
 */
let dataDir: string;
let mainJs: string;

beforeAll(() => {
  mainJs = buildServer('dist');
  // A folder whose parent does not exist yet: the server must create it.
  dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ketenbeeld-')), 'nested', 'data');
}, 120_000);

afterAll(() => {
  fs.rmSync(path.dirname(path.dirname(dataDir)), { recursive: true, force: true });
});

interface Started {
  server: ServerProcess;
  url: string;
  log: () => string;
}

async function start(): Promise<Started> {
  const server = ServerProcess.spawn(mainJs, {
    DATABASE_URL: '', PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', NODE_ENV: 'production', SHUTDOWN_DELAY_SECONDS: '0',
  });
  const url = await server.ready(60_000);
  return { server, url, log: () => server.text };
}

function stop(started: Started): Promise<number | null> {
  return started.server.stop();
}

/** `npm run token -- …` without the build step (the build ran in beforeAll). */
function tokenCommand(...args: string[]) {
  return spawnSync(process.execPath, [path.join(root, 'dist/src/cli/token.js'), ...args], {
    cwd: root, encoding: 'utf8', env: { ...process.env, DATABASE_URL: '', DATA_DIR: dataDir },
  });
}

async function post(url: string, query: string, token?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query }) });
  return { status: response.status, requestId: response.headers.get('x-request-id'), body: await response.json() as any };
}

test('boots on the embedded engine, serves the 2020 picture over HTTP, and keeps its data across a restart', async () => {
  const first = await start();
  let tilburgId: string;
  let token: string;
  try {
    expect(first.log()).toMatch(/loaded the January 2020 demo scenario/);
    // No terminal attached: the first token is in a file only its owner can read, never in the log.
    const tokenFile = path.join(dataDir, 'first-coordinator-token');
    token = fs.readFileSync(tokenFile, 'utf8').trim();
    expect(token).toMatch(/^kb_\S+$/);
    expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(first.log()).not.toContain(token);
    expect(first.log()).toMatch(/first coordinator token written to a file/);
    const answer = await post(first.url, `{ municipality(cbsCode: "GM0855") { id name services(asOf: "2020-01-18T12:00:00+01:00") { status } } }`);
    expect(answer.status).toBe(200);
    expect(answer.requestId).toMatch(/\S+/);
    expect(answer.body.data.municipality.name).toBe('Tilburg');
    expect(answer.body.data.municipality.services.filter((s: { status: string }) => s.status === 'MAJOR_OUTAGE')).toHaveLength(5);
    tilburgId = answer.body.data.municipality.id;

    const syntaxError = await post(first.url, `{ municipality(cbsCode: "GM0855") { `);
    expect(syntaxError.status).toBe(400);
    expect(syntaxError.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');

    const who = await post(first.url, `{ viewer { kind role organisation { name } } }`, token);
    expect(who.body.data.viewer).toEqual({ kind: 'ORGANISATION', role: 'COORDINATOR', organisation: { name: 'NCSC (Nationaal Cyber Security Centrum)' } });
    const anonymous = await post(first.url, `{ organisations { totalCount } }`);
    expect(anonymous.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const forged = await post(first.url, `{ viewer { kind } }`, 'kb_not-a-real-token');
    expect(forged.status).toBe(401);
    expect(forged.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');

    const health = await fetch(first.url.replace('/graphql', '/healthz'));
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(first.url.replace('/graphql', '/readyz'));
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);

    // Two processes on one PGlite folder would corrupt it: the CLI refuses while the server runs.
    const refused = tokenCommand('create', '--org', 'GM0534', '--role', 'MUNICIPALITY');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/in use by process/);
  } finally {
    expect(await stop(first)).toBe(0);
  }

  const created = tokenCommand('create', '--org', 'GM0534', '--role', 'MUNICIPALITY', '--days', '7');
  expect(created.stderr).toBe('');
  const municipalityToken = created.stdout.match(/^(kb_\S+)$/m)![1];

  const second = await start();
  try {
    expect(second.log()).not.toMatch(/loaded the January 2020 demo scenario|first coordinator token/);
    const answer = await post(second.url, `{ municipality(cbsCode: "GM0855") { id } organisations { totalCount } }`, token!);
    expect(answer.body.data.municipality.id).toBe(tilburgId);
    expect(answer.body.data.organisations.totalCount).toBe(8);
    const hillegom = await post(second.url, `{ viewer { role organisation { name } } }`, municipalityToken);
    expect(hillegom.body.data.viewer).toEqual({ role: 'MUNICIPALITY', organisation: { name: 'Hillegom' } });
  } finally {
    expect(await stop(second)).toBe(0);
  }
}, 120_000);
