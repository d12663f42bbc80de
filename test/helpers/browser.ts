import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BrowserContext, chromium, LaunchOptions } from 'playwright-core';

/** Debian's chromium package (`apt-get install -y chromium`); .ci/run installs it when missing. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/**
 * Whether the browser tests can run here. In CI (CI=true) a missing browser is a failure, never a
 * skip: a green run must have driven a real browser.
 */
export function browserAvailable(): boolean {
  if (fs.existsSync(CHROMIUM)) return true;
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: .ci/run installs it with apt-get install -y chromium`);
  process.stderr.write(`browser tests skipped: ${CHROMIUM} is missing (apt-get install -y chromium)\n`);
  return false;
}

export interface Browser {
  /** A fresh context whose every request to a host other than `origin` is aborted and recorded. */
  context(options?: Parameters<typeof chromium.launchPersistentContext>[1]): Promise<BrowserContext>;
  /** Requests that tried to leave `origin`. */
  readonly offHost: string[];
  close(): Promise<void>;
}

/** The machine's Chromium, each context in a fresh user-data-dir, the network limited to `origin`. */
export function openBrowser(origin: string): Browser {
  const offHost: string[] = [];
  const contexts: { context: BrowserContext; dir: string }[] = [];
  return {
    offHost,
    async context(options = {}) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ketenbeeld-chromium-'));
      const context = await chromium.launchPersistentContext(dir, {
        executablePath: CHROMIUM, headless: true, args: FLAGS, ...(options as LaunchOptions),
      });
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith(`${origin}/`) || url === origin || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
        offHost.push(url);
        return route.abort('blockedbyclient');
      });
      contexts.push({ context, dir });
      return context;
    },
    async close() {
      for (const { context, dir } of contexts.splice(0)) {
        await context.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
