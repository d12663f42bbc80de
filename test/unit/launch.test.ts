import fs from 'node:fs';
import path from 'node:path';

/**
 * The Node flags ketenbeeld is started with live in package.json (`config.nodeFlags`): `npm start`
 * passes them, and the container's CMD, which cannot read package.json, must say the same. The
 * benchmark reads them from package.json (bench/harness/contenders.ts).
 */
const root = path.join(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { config: { nodeFlags: string }; scripts: { start: string } };

test('npm start and the container start ketenbeeld with the same Node flags', () => {
  const flags = pkg.config.nodeFlags.split(/\s+/).filter(Boolean);
  expect(flags.length).toBeGreaterThan(0);
  expect(pkg.scripts.start).toContain('$npm_package_config_nodeFlags dist/src/main.js');
  const cmd = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8').split('\n').filter((line) => line.startsWith('CMD ')).at(-1)!;
  expect(JSON.parse(cmd.slice(4))).toEqual(['node', ...flags, 'dist/src/main.js']);
});
