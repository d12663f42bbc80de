import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * The module boundaries, checked by a maintained tool (dependency-cruiser, rules in
 * .dependency-cruiser.cjs): modules meet only through their index.ts, nothing imports itself back at
 * run time, the platform knows no module, services speak no GraphQL. And, as wholes, the domain
 * modules form no cycle at run time: if `component` uses `picture`, `picture` does not use
 * `component`, directly or through others.
 */

interface Cruised {
  summary: { violations: { rule: { name: string }; from: string; to: string }[] };
  modules: { source: string; dependencies: { resolved: string; dependencyTypes: string[] }[] }[];
}

const root = path.resolve(__dirname, '../..');

function cruise(): Cruised {
  const output = execFileSync(process.execPath, [path.join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'),
    '--config', '.dependency-cruiser.cjs', '--output-type', 'json', 'src'], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(output.toString()) as Cruised;
}

const moduleOf = (file: string) => /^src\/modules\/([^/]+)\//.exec(file)?.[1] ?? null;

/** A cycle among the modules' run-time dependencies, as the list of modules on it, or null. */
function moduleCycle(cruised: Cruised): string[] | null {
  const uses = new Map<string, Set<string>>();
  for (const module of cruised.modules) {
    const from = moduleOf(module.source);
    if (!from) continue;
    for (const dependency of module.dependencies) {
      const to = moduleOf(dependency.resolved);
      if (!to || to === from || dependency.dependencyTypes.includes('type-only')) continue;
      if (!uses.has(from)) uses.set(from, new Set());
      uses.get(from)!.add(to);
    }
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | null => {
    if (state.get(name) === 'done') return null;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const next of uses.get(name) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, 'done');
    return null;
  };
  for (const name of uses.keys()) {
    const cycle = visit(name);
    if (cycle) return cycle;
  }
  return null;
}

describe('module boundaries', () => {
  let cruised: Cruised;
  beforeAll(() => {
    cruised = cruise();
  }, 60_000);

  it('break none of the rules in .dependency-cruiser.cjs', () => {
    expect(cruised.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`)).toEqual([]);
  });

  it('form no cycle between modules at run time', () => {
    expect(moduleCycle(cruised)).toBeNull();
  });

  it('are seen by the check: the cruise found the picture module and what uses it', () => {
    const users = cruised.modules.filter((m) => m.dependencies.some((d) => d.resolved === 'src/modules/picture/index.ts'));
    expect(users.map((m) => moduleOf(m.source))).toEqual(expect.arrayContaining(['component', 'status', 'overview']));
  });
});
