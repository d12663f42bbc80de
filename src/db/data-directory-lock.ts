import fs from 'node:fs';
import path from 'node:path';

const LOCK_FILE = 'server.pid';

/**
 * PGlite has no lock of its own: two processes opening one data folder would corrupt it. The
 * server writes its pid here; the token CLI refuses to open a folder a live process holds.
 * Returns the function that releases the folder.
 */
export function holdDataDirectory(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const holder = processHolding(dataDir);
  if (holder !== null && holder !== process.pid) {
    throw new Error(`${path.resolve(dataDir)} is in use by process ${holder}; stop it first or use another DATA_DIR`);
  }
  const file = path.join(dataDir, LOCK_FILE);
  fs.writeFileSync(file, String(process.pid));
  return () => fs.rmSync(file, { force: true });
}

/** The live process holding the folder, or null. A pid file left by a crash does not count. */
export function processHolding(dataDir: string): number | null {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(dataDir, LOCK_FILE), 'utf8'));
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}
