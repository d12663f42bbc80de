import fs from 'node:fs';
import path from 'node:path';
import type { Tracing } from './tracing';
import { ConfigError, loadConfig } from '../config';

/**
 * Imported first by src/main.ts, before anything loads http, express, pg or graphql: the
 * instrumentations patch those modules as they are loaded. Without OTEL_EXPORTER_OTLP_ENDPOINT
 * nothing of OpenTelemetry is even loaded. A bad environment is left for main to report.
 */
function start(): Tracing | null {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) return null;
    throw error;
  }
  if (!config.operations.tracing) return null;
  const { startTracing } = require('./tracing') as typeof import('./tracing');
  return startTracing({ serviceName: config.operations.tracing.serviceName, serviceVersion: packageVersion() });
}

/** From src/platform (tests) or dist/src/platform (built): the nearest package.json above. */
function packageVersion(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

export const tracing = start();
