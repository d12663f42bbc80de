import { ApolloServer } from '@apollo/server';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config';
import { createRequestContext, RequestContext } from '../../src/context';
import { createLog } from '../../src/log';
import type { Viewer } from '../../src/modules/access';
import { stopCsafValidator } from '../../src/modules/advisory';
import { createApolloServer } from '../../src/server';
import type { DestinationPolicy } from '../../src/platform/outbound-destination';

export interface GraphQLResult<T = any> {
  data?: T | null;
  errors?: { message: string; path?: readonly (string | number)[]; extensions?: Record<string, unknown> }[];
}

/**
 * A coordinator reads everything: the viewer for tests about what the API answers rather than whom
 * it answers (test/integration/access-matrix.test.ts is about whom).
 */
export const COORDINATOR: Viewer = { kind: 'organisation', organisationId: '00000000-0000-4000-8000-00000000c001', role: 'COORDINATOR', tokenId: 'test' };

/** The real Apollo server with a real per-request context, minus HTTP. */
export class TestApi {
  readonly server: ApolloServer<RequestContext>;
  /** Where webhook endpoints may point; the server's default (https, public addresses) unless a test sets it. */
  destinations: DestinationPolicy | undefined = undefined;

  constructor(
    private readonly dataSource: DataSource,
    nodeEnv: 'test' | 'production' | 'development' = 'test',
    private readonly viewer: Viewer = COORDINATOR,
  ) {
    this.server = createApolloServer({ config: loadConfig({ NODE_ENV: nodeEnv }), log: createLog(process.env.KETENBEELD_TEST_LOG === '1' ? 'debug' : 'silent') });
  }

  async start(): Promise<this> {
    await this.server.start();
    return this;
  }

  async stop(): Promise<void> {
    await this.server.stop();
    // The CSAF validator's worker thread, if a test imported a document.
    await stopCsafValidator();
  }

  async query<T = any>(query: string, variables: Record<string, unknown> = {}, viewer: Viewer = this.viewer): Promise<GraphQLResult<T>> {
    const response = await this.server.executeOperation(
      { query, variables },
      { contextValue: createRequestContext(this.dataSource.manager, { viewer, destinations: this.destinations }) },
    );
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    return response.body.singleResult as GraphQLResult<T>;
  }

  /** A query that must succeed: fails the test with the errors otherwise. */
  async data<T = any>(query: string, variables: Record<string, unknown> = {}, viewer: Viewer = this.viewer): Promise<T> {
    const result = await this.query<T>(query, variables, viewer);
    if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors, null, 2)}`);
    return result.data as T;
  }
}
