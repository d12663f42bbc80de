import 'reflect-metadata';
import { execute, parse } from 'graphql';
import { createSchema } from '../schema';

/**
 * Prints the subgraph SDL a gateway or router composes (what `_service { sdl }` answers), without a
 * server or a database: in production `_service` is not served, like introspection, so a
 * supergraph is composed from this file (`rover supergraph compose`, `@apollo/composition`).
 */
async function main(): Promise<void> {
  const result = await execute({ schema: createSchema(), document: parse('{ _service { sdl } }') });
  const sdl = (result.data as { _service?: { sdl?: string } } | null | undefined)?._service?.sdl;
  if (!sdl) throw new Error(`No SDL: ${JSON.stringify(result.errors)}`);
  process.stdout.write(`${sdl}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
