import pino from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Log {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Whether a line at `level` would be written: for callers whose fields cost something to build. */
  isEnabled?(level: Exclude<LogLevel, 'silent'>): boolean;
}

/**
 * Never written, whatever a caller passes in `fields`: a bearer token (the Authorization header,
 * graphql-ws connection parameters) or a token's secret.
 */
const REDACTED = [
  'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization',
  'connectionParams.authorization', '*.connectionParams.authorization',
  'secret', '*.secret', 'token', '*.token',
];

/**
 * JSON lines (pino): `{"level":"info","time":"…","msg":"…",…fields}`, one object per event, for
 * whatever collects the container's output. Errors in a field named `error` (or any Error value)
 * are written with their type, message and stack. The server logs to stdout; command-line tools,
 * whose stdout is their answer, to stderr; tests pass a stream.
 */
export function createLog(level: LogLevel, to: 'stdout' | 'stderr' | pino.DestinationStream = 'stdout'): Log {
  const destination = typeof to === 'string' ? pino.destination({ dest: to === 'stdout' ? 1 : 2, sync: true }) : to;
  const logger = pino({
    level,
    base: { service: 'ketenbeeld', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { error: pino.stdSerializers.err },
    redact: { paths: REDACTED, censor: '[redacted]' },
  }, destination);
  const write = (at: Exclude<LogLevel, 'silent'>) => (message: string, fields?: Record<string, unknown>) => {
    if (!logger.isLevelEnabled(at)) return;
    if (fields) logger[at](errorsSerialised(fields), message);
    else logger[at](message);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'), isEnabled: (at) => logger.isLevelEnabled(at) };
}

/** pino serialises Errors only under keys it has a serializer for; an Error elsewhere would log as `{}`. */
function errorsSerialised(fields: Record<string, unknown>): Record<string, unknown> {
  let copy: Record<string, unknown> | null = null;
  for (const [key, value] of Object.entries(fields)) {
    if (key === 'error' || !(value instanceof Error)) continue;
    copy ??= { ...fields };
    copy[key] = pino.stdSerializers.err(value);
  }
  return copy ?? fields;
}
