import http from 'node:http';
import { exportJWK, generateKeyPair, KeyLike, SignJWT } from 'jose';
import { loadConfig } from '../../src/config';
import { createLog } from '../../src/log';
import { issueToken } from '../../src/modules/access';
import { loadDemoScenario } from '../../src/seed/demo-scenario';
import { RunningServer, startHttpServer } from '../../src/server';
import { openTestDatabase, TestDatabase } from '../helpers/database';

/** Bearer tokens and JWTs over real HTTP, with a JWKS served from this machine. */
let db: TestDatabase;
let server: RunningServer;
let jwks: http.Server;
let privateKey: KeyLike;
let jwksUrl: string;
let hillegomId: string;

beforeAll(async () => {
  db = await openTestDatabase();
  await db.dataSource.transaction((manager) => loadDemoScenario(manager));
  [{ id: hillegomId }] = await db.dataSource.query(`SELECT id FROM organisation WHERE cbs_code = 'GM0534'`);

  const keys = await generateKeyPair('RS256');
  privateKey = keys.privateKey;
  const publicJwk = { ...(await exportJWK(keys.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  jwks = http.createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [publicJwk] })));
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/jwks.json`;

  const config = loadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', JWT_JWKS_URL: jwksUrl, JWT_ISSUER: 'https://idp.example', JWT_AUDIENCE: 'ketenbeeld' });
  server = await startHttpServer(config, db.dataSource, createLog('silent'));
});

afterAll(async () => {
  await server.stop();
  await new Promise((resolve) => jwks.close(resolve));
  await db.close();
});

async function ask(authorization: string | null, query = `{ viewer { kind role organisation { name } } }`) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization !== null) headers.authorization = authorization;
  const response = await fetch(server.url, { method: 'POST', headers, body: JSON.stringify({ query }) });
  return { status: response.status, body: (await response.json()) as any };
}

async function tokenFor(role: 'MUNICIPALITY' | 'OPERATOR') {
  return db.dataSource.transaction((tx) => issueToken(tx, { organisationId: hillegomId, role, expiresInDays: 1, label: 'test', issuedByTokenId: null }));
}

test('no header is the public; a token is its organisation and role', async () => {
  expect((await ask(null)).body.data.viewer).toEqual({ kind: 'PUBLIC', role: null, organisation: null });
  const issued = await tokenFor('MUNICIPALITY');
  expect((await ask(`Bearer ${issued.secret}`)).body.data.viewer).toEqual({ kind: 'ORGANISATION', role: 'MUNICIPALITY', organisation: { name: 'Hillegom' } });
});

test('only a hash of the token is stored', async () => {
  const issued = await tokenFor('MUNICIPALITY');
  const rows = await db.dataSource.query(`SELECT token_hash FROM access_token WHERE id = $1`, [issued.token.id]);
  expect(rows[0].token_hash).toMatch(/^[0-9a-f]{64}$/);
  expect(JSON.stringify(await db.dataSource.query(`SELECT * FROM access_token`))).not.toContain(issued.secret);
});

test('a revoked, expired, unknown or malformed token is a 401, never the public', async () => {
  const revoked = await tokenFor('MUNICIPALITY');
  await db.dataSource.query(`UPDATE access_token SET revoked_at = now() WHERE id = $1`, [revoked.token.id]);
  const expired = await tokenFor('MUNICIPALITY');
  await db.dataSource.query(`UPDATE access_token SET expires_at = now() - interval '1 second' WHERE id = $1`, [expired.token.id]);
  for (const header of [`Bearer ${revoked.secret}`, `Bearer ${expired.secret}`, 'Bearer kb_unknown', 'Basic aGk6dGhlcmU=', 'Bearer']) {
    const answer = await ask(header);
    expect({ header, status: answer.status, code: answer.body.errors?.[0]?.extensions?.code }).toEqual({ header, status: 401, code: 'UNAUTHENTICATED' });
  }
});

test('a role the organisation cannot hold is refused when the token is issued', async () => {
  await expect(db.dataSource.transaction((tx) => issueToken(tx, { organisationId: hillegomId, role: 'COORDINATOR', expiresInDays: 1, label: null, issuedByTokenId: null })))
    .rejects.toMatchObject({ code: 'BAD_USER_INPUT', field: 'role' });
});

async function jwt(claims: Record<string, unknown>, options: { audience?: string; issuer?: string; expiresIn?: string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
    .setIssuer(options.issuer ?? 'https://idp.example')
    .setAudience(options.audience ?? 'ketenbeeld')
    .setSubject('user-17')
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(privateKey);
}

test('a JWT verified against the configured JWKS names its organisation and role', async () => {
  const token = await jwt({ ketenbeeld_org: hillegomId, ketenbeeld_role: 'MUNICIPALITY' });
  expect((await ask(`Bearer ${token}`)).body.data.viewer).toEqual({ kind: 'ORGANISATION', role: 'MUNICIPALITY', organisation: { name: 'Hillegom' } });
});

test('a JWT for another audience, from another issuer, expired or without the claims is a 401', async () => {
  const claims = { ketenbeeld_org: hillegomId, ketenbeeld_role: 'MUNICIPALITY' };
  const bad = [
    await jwt(claims, { audience: 'someone-else' }),
    await jwt(claims, { issuer: 'https://evil.example' }),
    await jwt(claims, { expiresIn: '-1m' }),
    await jwt({ ketenbeeld_role: 'COORDINATOR' }),
  ];
  for (const token of bad) {
    const answer = await ask(`Bearer ${token}`);
    expect({ status: answer.status, code: answer.body.errors?.[0]?.extensions?.code }).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
  }
});

test('a coordinator issues a token through the API; the secret is shown once and works', async () => {
  const [{ id: ncsc }] = await db.dataSource.query(`SELECT id FROM organisation WHERE name LIKE 'NCSC%'`);
  const coordinator = await db.dataSource.transaction((tx) => issueToken(tx, { organisationId: ncsc, role: 'COORDINATOR', expiresInDays: 1, label: null, issuedByTokenId: null }));
  const hillegom = Buffer.from(`Organisation:${hillegomId}`).toString('base64url');
  const issued = await ask(`Bearer ${coordinator.secret}`, `mutation { issueAccessToken(input: { organisationId: "${hillegom}", role: MUNICIPALITY, expiresInDays: 7 }) { token accessToken { role expiresAt organisation { name } } } }`);
  const { token, accessToken } = issued.body.data.issueAccessToken;
  expect(accessToken).toMatchObject({ role: 'MUNICIPALITY', organisation: { name: 'Hillegom' } });
  expect((await ask(`Bearer ${token}`)).body.data.viewer.organisation.name).toBe('Hillegom');
  const tooLong = await ask(`Bearer ${coordinator.secret}`, `mutation { issueAccessToken(input: { organisationId: "${hillegom}", role: MUNICIPALITY, expiresInDays: 5000 }) { token } }`);
  expect(tooLong.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'expiresInDays' });
});
