import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { REPO, systemNode } from './paths';

/**
 * A bearer token issued with ketenbeeld's own token CLI once ketenbeeld has migrated the database:
 * `org` is an organisation id or a municipality's CBS code. Returns the header; throws with the CLI's
 * error when it could not be issued.
 */
export function issueToken(databaseUrl: string, org: string, role: 'COORDINATOR' | 'MUNICIPALITY', label = 'bench'): Record<string, string> {
  const cli = path.join(REPO, 'dist/src/cli/token.js');
  const issued = spawnSync(systemNode(), [cli, 'create', '--org', org, '--role', role, '--days', '1', '--label', label], {
    cwd: REPO, encoding: 'utf8', env: { ...process.env, DATABASE_URL: databaseUrl }, timeout: 60_000,
  });
  const secret = issued.stdout?.trim().split('\n').pop() ?? '';
  if (issued.status !== 0 || secret.length < 16 || /\s/.test(secret)) {
    throw new Error(`could not issue a ${role} token for ${org}: ${(issued.stderr ?? String(issued.error)).slice(-300)}`);
  }
  return { authorization: `Bearer ${secret}` };
}

/** A coordinator's token (a coordinator reads everything): the first coordinator by name. */
export async function issueCoordinatorToken(databaseUrl: string, label = 'bench'): Promise<Record<string, string>> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const coordinator = (await client.query<{ id: string }>(`SELECT id FROM organisation WHERE kind = 'COORDINATOR' ORDER BY name LIMIT 1`)).rows[0];
    return issueToken(databaseUrl, coordinator.id, 'COORDINATOR', label);
  } finally {
    await client.end();
  }
}
