import type { ApolloServer } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import type { EntityManager } from 'typeorm';
import { createRequestContext, RequestContext } from '../context';
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

export interface PublicMunicipality {
  name: string;
  cbsCode: string;
  website: string | null;
  services: PublicService[];
}

/** The question the status page, its feed and its live updates ask: the public API's own. */
export function publicStatusQuery(withIncidents: boolean): string {
  return `query PublicStatusPage($cbsCode: String!, $asOf: DateTime) {
  municipality(cbsCode: $cbsCode) {
    name cbsCode website
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
 * Reads what the public may see by asking the API as the public: the query runs through the same
 * Apollo server, limits, access policy and error masking as a request without a token. Nothing
 * here reads a table.
 */
export class PublicPicture {
  readonly withIncidents: boolean;
  private readonly query: string;

  constructor(private readonly apollo: ApolloServer<RequestContext>, private readonly db: EntityManager, schema: GraphQLSchema) {
    this.withIncidents = publicIncidentsIn(schema);
    this.query = publicStatusQuery(this.withIncidents);
  }

  /** A public request context: no token, fresh loaders, one clock reading. */
  context(): RequestContext {
    return createRequestContext(this.db, { viewer: PUBLIC_VIEWER, clientAddress: 'status-page' });
  }

  /** Null when there is no municipality with that code; `asOf` null is now. */
  async municipality(cbsCode: string, asOf: Date | null): Promise<PublicMunicipality | null> {
    const response = await this.apollo.executeOperation(
      { query: this.query, operationName: 'PublicStatusPage', variables: { cbsCode, asOf: asOf?.toISOString() ?? null } },
      { contextValue: this.context() },
    );
    if (response.body.kind !== 'single') throw new Error('the public status query gave an incremental answer');
    const { data, errors } = response.body.singleResult as { data?: { municipality: PublicMunicipality | null } | null; errors?: PublicReadFailed['errors'] };
    if (errors?.length) {
      if (errors.every((error) => error.extensions?.code === 'NOT_FOUND')) return null;
      throw new PublicReadFailed(errors);
    }
    return data?.municipality ?? null;
  }
}
