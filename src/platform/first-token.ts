import fs from 'node:fs';
import path from 'node:path';
import type { Log } from '../log';

/**
 * The first coordinator token reaches a person, never a log stream (container logs are read by
 * many and kept long): on an interactive terminal it is shown there; otherwise it is written to
 * `file`, readable by its owner only (0600), and the log says where.
 */
export function deliverFirstToken(secret: string, file: string, log: Log): void {
  if (process.stdout.isTTY && process.stdin.isTTY) {
    process.stdout.write(
      `\nFirst coordinator token (shown once, valid 30 days; issue others with the issueAccessToken mutation):\n` +
      `  Authorization: Bearer ${secret}\n\n`,
    );
    log.info('first coordinator token shown on the terminal');
    return;
  }
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 });
    // The mode applies only to a new file; one left from an earlier database keeps its own.
    fs.chmodSync(file, 0o600);
    log.warn('first coordinator token written to a file only its owner can read: use it, then delete the file', { file: path.resolve(file) });
  } catch (error) {
    log.error('could not write the first coordinator token; issue one with `npm run token -- create --role COORDINATOR`', {
      file: path.resolve(file), error: error instanceof Error ? error.message : String(error),
    });
  }
}
