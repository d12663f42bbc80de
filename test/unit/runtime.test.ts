import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** Scripts run under the Node that runs npm: the tests check the Node the README promises and the machine has. */
test('tests run on the Node that runs npm', () => {
  if (process.env.npm_node_execpath) expect(process.execPath).toBe(process.env.npm_node_execpath);
  expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(20);
});

/**
 * The benchmark's contenders (PostGraphile with its IDE, a second Node binary for it, the load
 * generator) live in bench/package.json, installed by `npm run bench`; `npm ci` at the top installs
 * the product and its tools only. A second `node` in node_modules/.bin would also shadow the
 * machine's Node in every npm script.
 */
test('the product’s install holds none of the benchmark’s contenders', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
  const installed = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
  expect(installed.filter((name) => /postgraphile|node-linux|autocannon|pg-copy-streams/.test(name))).toEqual([]);
  expect(fs.existsSync(path.join(root, 'node_modules/.bin/node'))).toBe(false);
});
