import 'reflect-metadata';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config';
import { createRequestContext } from '../context';
import { holdDataDirectory } from '../db/data-directory-lock';
import { openDatabase } from '../db/database';
import { AppError } from '../errors';
import { createLog } from '../log';
import { importCsafAdvisory, stopCsafValidator } from '../modules/advisory';
import type { Advice } from '../modules/advisory';
import { isUuid } from '../common/global-id';
import type { TlpLabel } from '../common/tlp';

const USAGE = `Usage:
  npm run csaf -- import <file.json> [--org <coordinator name or uuid>] [--tlp CLEAR|GREEN|AMBER|AMBER_STRICT|RED] [--advice PATCH|MITIGATE|SWITCH_OFF]

Imports a CSAF 2.0 document as an advisory, as the importCsafAdvisory mutation does (validated with
the schema and the mandatory tests; the same revision again changes nothing; an older one is refused).
--org names the importing coordinator (default: the first coordinator by name). --tlp applies only
when the document has no TLP label of its own. Works against DATABASE_URL, or on the embedded
database in DATA_DIR while no server holds it.`;

const TLP: readonly string[] = ['CLEAR', 'GREEN', 'AMBER', 'AMBER_STRICT', 'RED'];
const ADVICE: readonly string[] = ['PATCH', 'MITIGATE', 'SWITCH_OFF'];

/** One import, as the importing coordinator; returns the line to print. */
export async function importCsafFile(
  dataSource: DataSource,
  file: string,
  options: { org?: string; tlp?: string; advice?: string } = {},
): Promise<string> {
  if (options.tlp && !TLP.includes(options.tlp)) throw new Error(`--tlp is one of ${TLP.join(', ')}`);
  if (options.advice && !ADVICE.includes(options.advice)) throw new Error(`--advice is one of ${ADVICE.join(', ')}`);
  const document = fs.readFileSync(file, 'utf8');
  const rows: { id: string; name: string }[] = options.org
    ? await dataSource.query(`SELECT id, name FROM organisation WHERE kind = 'COORDINATOR' AND (name = $1 OR id::text = $2)`, [options.org, isUuid(options.org) ? options.org : ''])
    : await dataSource.query(`SELECT id, name FROM organisation WHERE kind = 'COORDINATOR' ORDER BY name, id LIMIT 1`);
  if (rows.length === 0) throw new Error(options.org ? `No coordinator organisation ${options.org}` : 'No coordinator organisation: register one first');
  const ctx = createRequestContext(dataSource.manager, {
    viewer: { kind: 'organisation', organisationId: rows[0].id, role: 'COORDINATOR', tokenId: 'cli:csaf' },
  });
  const { advisory, outcome } = await importCsafAdvisory(ctx, {
    document, tlp: (options.tlp as TlpLabel | undefined) ?? null, advice: (options.advice as Advice | undefined) ?? null,
  });
  const state = { CREATED: 'imported', UPDATED: `updated to revision ${advisory.revision}`, UNCHANGED: 'unchanged (this revision was imported before)' }[outcome];
  return `${advisory.reference} (CSAF version ${advisory.csafVersion}, TLP:${advisory.tlp.replace('_', '+')}) ${state} by ${rows[0].name}: ${advisory.title}`;
}

function describe(error: unknown): string {
  if (error instanceof AppError) {
    const problems = (error.details?.problems as { path: string; message: string }[] | undefined) ?? [];
    return [`${error.code}: ${error.message}`, ...problems.map((p) => `  ${p.path}: ${p.message}`)].join('\n');
  }
  return error instanceof Error ? error.message : String(error);
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { org: { type: 'string' }, tlp: { type: 'string' }, advice: { type: 'string' } },
  });
  const [command, file] = positionals;
  if (command !== 'import' || !file) throw new Error(USAGE);
  const config = loadConfig();
  const release = config.databaseUrl ? () => {} : holdDataDirectory(config.dataDir);
  const database = await openDatabase(config, createLog('warn'));
  try {
    process.stdout.write(`${await importCsafFile(database.dataSource, file, values)}\n`);
  } finally {
    await stopCsafValidator();
    await database.close();
    release();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${describe(error)}\n`);
    process.exit(1);
  });
}
