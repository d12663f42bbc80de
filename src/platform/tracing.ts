import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** The probes and the scrape: asked every few seconds, telling nothing about the API. */
const UNTRACED_PATHS = new Set(['/livez', '/readyz', '/healthz', '/metrics']);

export interface Tracing {
  /** Sends the spans still buffered; at shutdown. */
  shutdown(): Promise<void>;
}

/**
 * OpenTelemetry traces over OTLP/HTTP: the Node tracer provider with the HTTP, Express, pg and
 * GraphQL instrumentations. The exporter reads the standard variables itself
 * (OTEL_EXPORTER_OTLP_ENDPOINT, …_TRACES_ENDPOINT, …_HEADERS). Must run before http, express, pg
 * and graphql are first loaded, which src/platform/start-tracing.ts sees to.
 *
 * GraphQL spans stop at parse, validate and execute: a span per resolved field would be 200,000
 * spans for one what-if. SQL statements are traced without their parameters, and only inside a
 * request (not the event bus's or the probe's own queries).
 */
export function startTracing(options: { serviceName: string; serviceVersion: string }): Tracing {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName, 'service.version': options.serviceVersion }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (request) => UNTRACED_PATHS.has((request.url ?? '').split('?')[0]),
      }),
      new ExpressInstrumentation(),
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
      new GraphQLInstrumentation({ ignoreResolveSpans: true, mergeItems: true, allowValues: false }),
    ],
  });
  return { shutdown: () => provider.shutdown() };
}
