import { DocumentNode, execute, GraphQLSchema, parse } from 'graphql';
import type { EntityManager } from 'typeorm';
import { createRequestContext, RequestContext } from '../context';
import { AppError } from '../errors';
import { PUBLIC_VIEWER } from '../modules/access';
import { INCIDENTS_SELECTION, PublicIncident, publicIncidentsIn } from './incidents';
import type { PublicAudience, PublicCause, PublicStatus } from './language';

/** One service as the public may see it. */
export interface PublicService {
  service: { id: string; name: string; audience: PublicAudience };
  status: PublicStatus;
  cause: PublicCause | null;
  since: string | null;
  stale: boolean;
  /** Present when the schema offers the public incidents (src/web/incidents.ts). */
  incidents?: PublicIncident[];
}

/** Announced maintenance on what the municipality's services stand on (always as of now). */
export interface PublicMaintenance {
  title: string;
  publicText: string | null;
  startsAt: string;
  endsAt: string;
  services: { name: string }[];
}

export interface PublicMunicipality {
  name: string;
  cbsCode: string;
  website: string | null;
  services: PublicService[];
  maintenance: PublicMaintenance[];
}

/** The question the status page, its feed and its live updates ask: the public API's own. */
export function publicStatusQuery(withIncidents: boolean): string {
  return `query PublicStatusPage($cbsCode: String!, $asOf: DateTime) {
  municipality(cbsCode: $cbsCode) {
    name cbsCode website
    maintenance { title publicText startsAt endsAt services { name } }
    services(asOf: $asOf) {
      service { id name audience }
      status cause since stale${withIncidents ? `\n      ${INCIDENTS_SELECTION}` : ''}
    }
  }
}`;
}

export const CBS_CODE = /^GM\d{4}$/;

export class PublicReadFailed extends Error {
  constructor(readonly errors: readonly { message: string; extensions?: Record<string, unknown> }[]) {
    super(`the public status query failed: ${errors.map((e) => `${e.extensions?.code ?? '?'} ${e.message}`).join('; ')}`);
  }
}

/**
 * Reads what the public may see by asking the API as the public: the query runs against the same
 * schema, resolvers and access policy as a request without a token. Nothing here reads a table.
 * It is our own fixed query, not a client's, so it is executed directly rather than through the
 * admission limits that guard the endpoint against clients' questions: a page is rendered once per
 * change and given to many readers (see conditional.ts), and the readers' requests are limited there.
 */
export class PublicPicture {
  readonly withIncidents: boolean;
  private readonly document: DocumentNode;

  constructor(private readonly schema: GraphQLSchema, private readonly db: EntityManager) {
    this.withIncidents = publicIncidentsIn(schema);
    this.document = parse(publicStatusQuery(this.withIncidents));
  }

  /** A public request context: no token, fresh loaders, one clock reading. */
  context(): RequestContext {
    return createRequestContext(this.db, { viewer: PUBLIC_VIEWER, clientAddress: 'status-page' });
  }

  /** Null when there is no municipality with that code; `asOf` null is now. */
  async municipality(cbsCode: string, asOf: Date | null): Promise<PublicMunicipality | null> {
    const result = await execute({
      schema: this.schema, document: this.document, operationName: 'PublicStatusPage',
      variableValues: { cbsCode, asOf: asOf?.toISOString() ?? null }, contextValue: this.context(),
    });
    const data = result.data as { municipality: PublicMunicipality | null } | null | undefined;
    const errors: PublicReadFailed['errors'] | undefined = result.errors?.map((error) => ({
      message: error.message,
      extensions: { code: error.originalError instanceof AppError ? error.originalError.code : (error.extensions?.code as string | undefined) ?? 'INTERNAL_SERVER_ERROR' },
    }));
    if (errors?.length) {
      if (errors.every((error) => error.extensions?.code === 'NOT_FOUND')) return null;
      throw new PublicReadFailed(errors);
    }
    return data?.municipality ?? null;
  }
}
