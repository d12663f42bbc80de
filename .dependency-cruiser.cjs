/**
 * The module boundaries of src/, checked by `npm test` (test/unit/module-boundaries.test.ts) and by
 * `npm run boundaries`. A domain module (src/modules/<name>/) is used by other modules only through its
 * index.ts, and nothing imports itself back at run time (the test also checks that the modules, taken
 * as wholes, form no cycle): a cycle means a boundary is in the wrong place.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment:
        'No import cycle at run time anywhere in src/: move the shared part down instead. Type-only imports are erased by the '
        + 'compiler and may close a cycle (every module names the RequestContext, which names every module\'s loaders).',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'modules-meet-through-index',
      severity: 'error',
      comment: 'Another module is reached only through its index.ts.',
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/([^/]+)/.+', pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'] },
    },
    {
      name: 'platform-does-not-know-modules',
      severity: 'error',
      comment: 'src/platform/ and src/db/ serve every module and import none of them.',
      from: { path: '^src/(platform|db)/' },
      to: { path: '^src/modules/' },
    },
    {
      name: 'services-do-not-speak-graphql',
      severity: 'error',
      comment: 'Only resolvers, the schema and the platform know GraphQL; services, repositories and rules do not.',
      from: { path: '^src/modules/.+\\.(service|repository|rules|engine|keeper|mutations)\\.ts$' },
      to: { path: 'node_modules/graphql/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
