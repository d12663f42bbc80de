import proxyaddr from 'proxy-addr';
import { isIP } from 'node:net';
import path from 'node:path';
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
  // Limits (README, "Limits"): each default leaves the dashboard and the tests' queries far inside.
  QUERY_MAX_DEPTH: z.coerce.number().int().min(1).max(100).default(12),
  QUERY_MAX_COST: z.coerce.number().int().min(1).default(25_000),
  QUERY_MAX_COST_PUBLIC: z.coerce.number().int().min(1).default(25_000),
  QUERY_COST_PER_MINUTE: z.coerce.number().int().min(1).default(1_000_000),
  QUERY_COST_PER_MINUTE_PUBLIC: z.coerce.number().int().min(1).default(100_000),
  QUERY_MAX_ALIASES: z.coerce.number().int().min(0).max(1000).default(20),
  QUERY_MAX_DIRECTIVES: z.coerce.number().int().min(0).max(1000).default(20),
  QUERY_MAX_TOKENS: z.coerce.number().int().min(10).max(1_000_000).default(2000),
  REQUEST_MAX_BYTES: z.coerce.number().int().min(1024).max(100 * 1024 * 1024).default(100 * 1024),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(200),
  RATE_LIMIT_FAILED_AUTH_PER_MINUTE: z.coerce.number().int().min(1).default(20),
  TRUST_PROXY: z.string().default('false').transform(parseTrustProxy),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  SUBSCRIPTION_TOKEN_CHECK_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  CHANGE_EVENT_RETENTION_HOURS: z.coerce.number().int().min(1).max(24 * 366).default(7 * 24),
  // The public face (src/web/): the IDE at /graphql for browsers, on by default outside production.
  GRAPHQL_IDE: z.enum(['on', 'off']).optional(),
  PUBLIC_MAX_AGE_SECONDS: z.coerce.number().int().min(0).max(3600).default(5),
  // Operations (docs/operations.md): timeouts, probes, shutdown, tracing.
  DATABASE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5000),
  DATABASE_READ_RESERVE: z.coerce.number().int().min(0).max(100).default(3),
  DATABASE_WAIT_SECONDS: z.coerce.number().int().min(0).default(0),
  DATABASE_NAMED_STATEMENTS: z.enum(['on', 'off']).default('on'),
  READINESS_TIMEOUT_MS: z.coerce.number().int().min(100).max(4500).default(2000),
  SHUTDOWN_DELAY_SECONDS: z.coerce.number().min(0).max(300).default(2),
  SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().min(1).max(600).default(10),
  HEAP_GROWTH_PERCENT: z.coerce.number().int().min(0).max(300).default(100),
  FIRST_TOKEN_FILE: z.string().min(1).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('ketenbeeld'),
  JWT_JWKS_URL: z.string().url().optional(),
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  // Webhooks (docs/webhooks.md, "Safety"): where deliveries may go and how long a receiver gets.
  WEBHOOK_ALLOW_HTTP: z.enum(['true', 'false']).default('false'),
  WEBHOOK_ALLOWED_ADDRESSES: z.string().default('').transform(parseAddressList),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(32),
  WEBHOOK_WORKER: z.enum(['on', 'off']).default('on'),
}).refine(
  (e) => e.QUERY_COST_PER_MINUTE >= e.QUERY_MAX_COST,
  { message: 'QUERY_COST_PER_MINUTE must allow at least one query of QUERY_MAX_COST', path: ['QUERY_COST_PER_MINUTE'] },
).refine(
  (e) => e.QUERY_COST_PER_MINUTE_PUBLIC >= e.QUERY_MAX_COST_PUBLIC,
  { message: 'QUERY_COST_PER_MINUTE_PUBLIC must allow at least one query of QUERY_MAX_COST_PUBLIC', path: ['QUERY_COST_PER_MINUTE_PUBLIC'] },
).refine(
  (e) => e.RATE_LIMIT_BURST * 60 <= e.RATE_LIMIT_PER_MINUTE * 3600,
  { message: 'RATE_LIMIT_BURST may be at most an hour\'s worth of RATE_LIMIT_PER_MINUTE', path: ['RATE_LIMIT_BURST'] },
).refine(
  (e) => (e.JWT_JWKS_URL === undefined) === (e.JWT_ISSUER === undefined) && (e.JWT_ISSUER === undefined) === (e.JWT_AUDIENCE === undefined),
  { message: 'set all three of JWT_JWKS_URL, JWT_ISSUER and JWT_AUDIENCE, or none', path: ['JWT_JWKS_URL'] },
);

/**
 * Which proxies in front of the API may say who the client is (X-Forwarded-For): none (`false`,
 * the default: the client is the socket's peer), the number of proxy hops to trust, or a
 * comma-separated list of their addresses, CIDR ranges, or `loopback`, `linklocal`, `uniquelocal`.
 * `true` (believe any X-Forwarded-For) is refused: every client could then pick its own address,
 * and with it a fresh rate-limit budget.
 */
export type TrustProxy = false | number | readonly string[];

function parseTrustProxy(value: string, context: z.RefinementCtx): TrustProxy {
  const text = value.trim();
  if (text === '' || text === 'false') return false;
  if (/^\d+$/.test(text)) return Number(text);
  if (text === 'true') {
    context.addIssue({ code: 'custom', message: 'true would believe any client\'s X-Forwarded-For; give the number of proxy hops or the proxies\' addresses' });
    return z.NEVER;
  }
  const entries = text.split(',').map((entry) => entry.trim()).filter(Boolean);
  try {
    proxyaddr.compile(entries);
  } catch (error) {
    context.addIssue({ code: 'custom', message: `not an address, CIDR range or loopback/linklocal/uniquelocal (${error instanceof Error ? error.message : String(error)})` });
    return z.NEVER;
  }
  return Object.freeze(entries);
}

/**
 * Addresses webhook deliveries may reach although they are loopback, link-local, private or
 * unique-local: a comma-separated list of IP addresses and CIDR ranges (`127.0.0.1`, `10.1.0.0/16`).
 */
function parseAddressList(value: string, context: z.RefinementCtx): readonly string[] {
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address);
    const maxBits = family === 6 ? 128 : 32;
    const bitsValid = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= maxBits);
    if (family === 0 || !bitsValid || extra !== undefined) {
      context.addIssue({ code: 'custom', message: `${entry} is not an IP address or CIDR range` });
      return z.NEVER;
    }
  }
  return Object.freeze(entries);
}

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
  /** The proxies whose X-Forwarded-For names the client (src/platform/client-address.ts). */
  trustProxy: TrustProxy;
  limits: Limits;
  /** Verify JWTs from an identity provider against this JWKS, besides ketenbeeld's own tokens. */
  jwt: Readonly<{ jwksUrl: string; issuer: string; audience: string }> | null;
  /** How often open WebSocket connections' tokens are checked again (revoked or expired: closed). */
  subscriptionTokenCheckSeconds: number;
  /** How long change events are kept for subscribers replaying with `since`; older ones are pruned. */
  changeEventRetentionHours: number;
  /** Serve the GraphQL IDE (GraphiQL) to browsers at /graphql. */
  ide: boolean;
  /** `Cache-Control: public, max-age` of the status pages, their feeds and the public GraphQL read. */
  publicMaxAgeSeconds: number;
  database: DatabaseSettings;
  operations: Operations;
  webhooks: WebhookSettings;
}>;

/** Outbound webhook deliveries (src/modules/webhooks, docs/webhooks.md). */
export type WebhookSettings = Readonly<{
  /** Accept http:// endpoints besides https:// (for receivers on a trusted network or in tests). */
  allowHttp: boolean;
  /** IP addresses and CIDR ranges reachable although not public (see parseAddressList). */
  allowedAddresses: readonly string[];
  /** The longest one delivery may take, connecting included. */
  timeoutMs: number;
  /** Deliveries in flight at once per instance. */
  concurrency: number;
  /** Run the delivery worker in this instance. */
  worker: boolean;
}>;

/** How the server treats PostgreSQL being slow or away (docs/operations.md, "Failures"). */
export type DatabaseSettings = Readonly<{
  /** Waiting for a pooled or a new connection; then the request gets 503. */
  connectTimeoutMs: number;
  /** Pool connections no transaction may take, so reads go on while writers wait on locks. */
  readReserve: number;
  /** How long a start waits for PostgreSQL to become reachable; 0: as long as it takes. */
  waitSeconds: number;
  /** The dashboards' statements prepared once per connection (src/db/named-statements.ts); off behind a pooler that cannot carry them. */
  namedStatements: boolean;
}>;

/** Probes, shutdown, the first token, tracing (docs/operations.md). */
export type Operations = Readonly<{
  /** /readyz's own limit for PostgreSQL to answer `SELECT 1`. */
  readinessTimeoutMs: number;
  /** After SIGTERM, how long /readyz says 503 while the server still serves, before it drains. */
  shutdownDelaySeconds: number;
  /** The longest a drain waits for requests in flight and keep-alive connections to finish. */
  shutdownTimeoutSeconds: number;
  /** Where the first coordinator token goes when no terminal is attached (mode 0600). */
  firstTokenFile: string;
  /** OpenTelemetry traces over OTLP/HTTP, or off. */
  tracing: Readonly<{ endpoint: string; serviceName: string }> | null;
  /** How far V8 lets the heap grow past what a collection kept, in percent; 0: V8's own choice (src/platform/memory.ts). */
  heapGrowthPercent: number;
}>;

/** What one request may ask of the server (src/platform/, README "Limits"). */
export type Limits = Readonly<{
  queryDepth: number;
  /** Estimated cost, see src/platform/query-cost.ts. */
  queryCost: number;
  /** The same for callers without a token. */
  queryCostPublic: number;
  /** Estimated cost a token's operations may add up to in a minute (src/platform/rate-limit.ts). */
  queryCostPerMinute: number;
  /** The same per client address for the public. */
  queryCostPerMinutePublic: number;
  queryAliases: number;
  queryDirectives: number;
  /** Lexical tokens of the query document. */
  queryTokens: number;
  /** Size of a request body. */
  requestBytes: number;
  /** Per token (the public: per client address), shared by every instance (src/platform/rate-limit.ts). */
  rateLimitPerMinute: number;
  rateLimitBurst: number;
  /** Failed authentications per client address, checked before a token is looked up. */
  rateLimitFailedAuthPerMinute: number;
  /** PostgreSQL's statement_timeout on every connection; 0 turns it off. */
  statementTimeoutMs: number;
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
    trustProxy: e.TRUST_PROXY,
    limits: Object.freeze({
      queryDepth: e.QUERY_MAX_DEPTH,
      queryCost: e.QUERY_MAX_COST,
      queryCostPublic: e.QUERY_MAX_COST_PUBLIC,
      queryCostPerMinute: e.QUERY_COST_PER_MINUTE,
      queryCostPerMinutePublic: e.QUERY_COST_PER_MINUTE_PUBLIC,
      queryAliases: e.QUERY_MAX_ALIASES,
      queryDirectives: e.QUERY_MAX_DIRECTIVES,
      queryTokens: e.QUERY_MAX_TOKENS,
      requestBytes: e.REQUEST_MAX_BYTES,
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      rateLimitBurst: e.RATE_LIMIT_BURST,
      rateLimitFailedAuthPerMinute: e.RATE_LIMIT_FAILED_AUTH_PER_MINUTE,
      statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
    }),
    jwt: e.JWT_JWKS_URL ? Object.freeze({ jwksUrl: e.JWT_JWKS_URL, issuer: e.JWT_ISSUER!, audience: e.JWT_AUDIENCE! }) : null,
    subscriptionTokenCheckSeconds: e.SUBSCRIPTION_TOKEN_CHECK_SECONDS,
    changeEventRetentionHours: e.CHANGE_EVENT_RETENTION_HOURS,
    ide: (e.GRAPHQL_IDE ?? (e.NODE_ENV === 'production' ? 'off' : 'on')) === 'on',
    publicMaxAgeSeconds: e.PUBLIC_MAX_AGE_SECONDS,
    database: Object.freeze({
      connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
      readReserve: e.DATABASE_READ_RESERVE,
      waitSeconds: e.DATABASE_WAIT_SECONDS,
      namedStatements: e.DATABASE_NAMED_STATEMENTS === 'on',
    }),
    operations: Object.freeze({
      readinessTimeoutMs: e.READINESS_TIMEOUT_MS,
      shutdownDelaySeconds: e.SHUTDOWN_DELAY_SECONDS,
      shutdownTimeoutSeconds: e.SHUTDOWN_TIMEOUT_SECONDS,
      firstTokenFile: e.FIRST_TOKEN_FILE ?? path.join(e.DATA_DIR, 'first-coordinator-token'),
      tracing: e.OTEL_EXPORTER_OTLP_ENDPOINT ? Object.freeze({ endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: e.OTEL_SERVICE_NAME }) : null,
      heapGrowthPercent: e.HEAP_GROWTH_PERCENT,
    }),
    webhooks: Object.freeze({
      allowHttp: e.WEBHOOK_ALLOW_HTTP === 'true',
      allowedAddresses: e.WEBHOOK_ALLOWED_ADDRESSES,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      concurrency: e.WEBHOOK_CONCURRENCY,
      worker: e.WEBHOOK_WORKER === 'on',
    }),
  });
}
