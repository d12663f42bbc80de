import { z } from 'zod';

/**
 * The environment, parsed and validated once at start. Everything else reads `Config`,
 * never `process.env`, so a typo in a variable fails at boot with its name, not at 17:30 on a Friday.
 */
const EnvironmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DATA_DIR: z.string().min(1).default('./data'),
  SEED_DEMO: z.enum(['auto', 'never']).default('auto'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  CORS_ORIGINS: z.string().default('*'),
});

export type Config = Readonly<{
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string;
  /** Absent: run on the embedded engine (PGlite) under `dataDir`. */
  databaseUrl: string | undefined;
  databasePoolSize: number;
  dataDir: string;
  seedDemo: 'auto' | 'never';
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  corsOrigins: readonly string[] | '*';
}>;

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set": `DATABASE_URL= npm start` should mean embedded mode.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = EnvironmentSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid environment: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return Object.freeze({
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    dataDir: e.DATA_DIR,
    seedDemo: e.SEED_DEMO,
    logLevel: e.LOG_LEVEL,
    corsOrigins:
      e.CORS_ORIGINS.trim() === '*'
        ? '*'
        : Object.freeze(e.CORS_ORIGINS.split(',').map((origin) => origin.trim()).filter(Boolean)),
  });
}
