import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { holdDataDirectory } from '../db/data-directory-lock';
import { openDatabase } from '../db/database';
import { createLog } from '../log';
import { issueToken, revokeToken } from '../modules/access';
import type { Role } from '../modules/access';
import { isUuid, parseGlobalId } from '../common/global-id';
import { Organisation } from '../modules/organisation';

const USAGE = `Usage:
  npm run token -- create --org <CBS code | organisation id | uuid> --role <MUNICIPALITY|OPERATOR|VENDOR|COORDINATOR> [--days 90] [--label text]
  npm run token -- revoke --id <token uuid>
  npm run token -- list

Works against DATABASE_URL, or on the embedded database in DATA_DIR while no server holds it.
While an embedded server runs, use the first token it printed and the issueAccessToken mutation.`;

const ROLES: readonly Role[] = ['MUNICIPALITY', 'OPERATOR', 'VENDOR', 'COORDINATOR'];

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { org: { type: 'string' }, role: { type: 'string' }, days: { type: 'string' }, label: { type: 'string' }, id: { type: 'string' } },
  });
  const command = positionals[0];
  if (!['create', 'revoke', 'list'].includes(command)) throw new Error(USAGE);

  const config = loadConfig();
  const release = config.databaseUrl ? () => {} : holdDataDirectory(config.dataDir);
  const database = await openDatabase(config, createLog('warn', 'stderr'));
  try {
    const db = database.dataSource.manager;
    if (command === 'create') {
      const role = values.role as Role;
      if (!values.org || !ROLES.includes(role)) throw new Error(USAGE);
      const organisation = await findOrganisation(db, values.org);
      const issued = await database.dataSource.transaction((tx) => issueToken(tx, {
        organisationId: organisation.id, role, expiresInDays: Number(values.days ?? 90), label: values.label ?? null, issuedByTokenId: null,
      }));
      process.stdout.write(`Token for ${organisation.name} (${role}), expires ${issued.token.expiresAt.toISOString()}, id ${issued.token.id}. Shown once:\n${issued.secret}\n`);
    } else if (command === 'revoke') {
      if (!values.id || !isUuid(values.id)) throw new Error(USAGE);
      const token = await revokeToken(db, values.id);
      process.stdout.write(`Revoked ${token.id} at ${token.revokedAt?.toISOString()}\n`);
    } else {
      const rows: { id: string; name: string; role: string; expires_at: Date; revoked_at: Date | null; label: string | null }[] = await db.query(
        `SELECT t.id, o.name, t.role, t.expires_at, t.revoked_at, t.label FROM access_token t JOIN organisation o ON o.id = t.organisation_id ORDER BY o.name, t.created_at`,
      );
      for (const row of rows) {
        const state = row.revoked_at ? 'revoked' : row.expires_at < new Date() ? 'expired' : `expires ${row.expires_at.toISOString()}`;
        process.stdout.write(`${row.id}  ${row.name}  ${row.role}  ${state}  ${row.label ?? ''}\n`);
      }
    }
  } finally {
    await database.close();
    release();
  }
}

async function findOrganisation(db: import('typeorm').EntityManager, reference: string): Promise<Organisation> {
  const id = /^GM\d{4}$/i.test(reference) ? null : isUuid(reference) ? reference : parseGlobalId(reference, 'org').id;
  const organisation = id
    ? await db.findOneBy(Organisation, { id })
    : await db.findOneBy(Organisation, { cbsCode: reference.toUpperCase() });
  if (!organisation) throw new Error(`No organisation ${reference}`);
  return organisation;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
