import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * Resolver types and the printed contract (schema.graphql) are generated from the SDL. A schema
 * change committed without `npm run codegen` fails here. (The codegen CLI is ESM-heavy, so it runs as its own process rather than inside jest.)
 */
test('src/generated/graphql.ts and schema.graphql match schema/*.graphql', () => {
  const root = path.resolve(__dirname, '..', '..');
  const result = spawnSync(process.execPath, [path.join(root, 'node_modules/@graphql-codegen/cli/cjs/bin.js'), '--config', 'codegen.ts', '--check'], {
    cwd: root,
    encoding: 'utf8',
  });
  expect({ status: result.status, output: result.status === 0 ? '' : `${result.stdout}${result.stderr}` }).toEqual({ status: 0, output: '' });
}, 60_000);
