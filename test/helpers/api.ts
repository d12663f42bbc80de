import { ApolloServer } from '@apollo/server';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config';
import { createRequestContext, RequestContext } from '../../src/context';
import { createLog } from '../../src/log';
import { createApolloServer } from '../../src/server';

export interface GraphQLResult<T = any> {
  data?: T | null;
  errors?: { message: string; path?: readonly (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** The real Apollo server with a real per-request context, minus HTTP. */
export class TestApi {
  readonly server: ApolloServer<RequestContext>;

  constructor(private readonly dataSource: DataSource, nodeEnv: 'test' | 'production' | 'development' = 'test') {
    this.server = createApolloServer({ config: loadConfig({ NODE_ENV: nodeEnv }), log: createLog('silent') });
  }

  async start(): Promise<this> {
    await this.server.start();
    return this;
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  async query<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<GraphQLResult<T>> {
    const response = await this.server.executeOperation(
      { query, variables },
      { contextValue: createRequestContext(this.dataSource.manager) },
    );
    if (response.body.kind !== 'single') throw new Error('expected a single result');
    return response.body.singleResult as GraphQLResult<T>;
  }

  /** A query that must succeed: fails the test with the errors otherwise. */
  async data<T = any>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const result = await this.query<T>(query, variables);
    if (result.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors, null, 2)}`);
    return result.data as T;
  }
}
