import { GraphQLError } from 'graphql';
import { QueryFailedError } from 'typeorm';
import { DatabaseBusyError, isDatabaseUnavailable } from '../../src/db/unavailable';

/** Which errors a client is told to retry (503) rather than shown as our bug (masked 500). */
const pgError = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});

test.each([
  ['the server refuses connections', pgError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
  ['the connection is cut', pgError('Connection terminated unexpectedly')],
  ['no pooled connection in time', pgError('timeout exceeded when trying to connect')],
  ['a paused server does not answer', pgError('Query read timeout')],
  ['the server shuts down (57P01)', new QueryFailedError('SELECT 1', [], pgError('terminating connection due to administrator command', '57P01'))],
  ['the server is starting (57P03)', pgError('the database system is starting up', '57P03')],
  ['a connection exception (08006)', pgError('connection failure', '08006')],
  ['statement_timeout (57014)', new QueryFailedError('SELECT 1', [], pgError('canceling statement due to statement timeout', '57014'))],
  ['no transaction slot in time', new DatabaseBusyError('no database connection for a transaction within 5000 ms')],
  ['wrapped by Apollo (context creation)', new GraphQLError('Context creation failed', { originalError: pgError('connect ECONNREFUSED', 'ECONNREFUSED') })],
])('unavailable: %s', (_, error) => {
  expect(isDatabaseUnavailable(error)).toBe(true);
});

test.each([
  ['a unique violation (23505)', new QueryFailedError('INSERT', [], pgError('duplicate key value violates unique constraint', '23505'))],
  ['a syntax error of ours (42601)', pgError('syntax error at or near "SELEC"', '42601')],
  ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
  ['not an error at all', 'ECONNREFUSED'],
])('not unavailable: %s', (_, error) => {
  expect(isDatabaseUnavailable(error)).toBe(false);
});
