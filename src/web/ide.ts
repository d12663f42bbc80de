import fs from 'node:fs';
import path from 'node:path';
import express from 'express';
import { GraphQLSchema, introspectionFromSchema } from 'graphql';
import { html, jsonForScript } from './html';
import type { Paths } from './layout';

/** The browser files of the IDE, each from its installed npm package (resolved, never fetched). */
const VENDOR_FILES: Record<string, { pkg: string; file: string; type: string }> = {
  'react.js': { pkg: 'react', file: 'umd/react.production.min.js', type: 'text/javascript; charset=utf-8' },
  'react-dom.js': { pkg: 'react-dom', file: 'umd/react-dom.production.min.js', type: 'text/javascript; charset=utf-8' },
  'graphiql.js': { pkg: 'graphiql', file: 'graphiql.min.js', type: 'text/javascript; charset=utf-8' },
  'graphiql.css': { pkg: 'graphiql', file: 'graphiql.min.css', type: 'text/css; charset=utf-8' },
};

/** A package's own files; `exports` maps of these packages hide their UMD builds from require.resolve. */
function packageFile(pkg: string, file: string): string {
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);
}

function packageVersion(pkg: string): string {
  return (JSON.parse(fs.readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version;
}

/** What the IDE shows first: the public question of the status pages, for Lisse. */
const DEFAULT_QUERY = `# ketenbeeld's GraphQL API. Without a token you are the public: you may read
# service availability per municipality. Add "Authorization": "Bearer kb_…" under Headers for more.
query Lisse {
  municipality(cbsCode: "GM0553") {
    name
    services {
      service { name audience }
      status cause since stale
    }
  }
}
`;

export const IDE_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; object-src 'none'; frame-ancestors 'none'";

/**
 * GraphiQL at /graphql for a browser (a GET that prefers text/html and carries no query), served
 * with its React from node_modules: nothing from another host, so it works offline. The schema it
 * shows is this server's, as introspection JSON at /graphql/ide/schema.json.
 */
export function ideRoutes(schema: GraphQLSchema, paths: Paths, enabled: boolean): express.Router {
  const router = express.Router();
  if (!enabled) {
    // A browser still gets a page that says so, rather than a JSON error about a missing query.
    router.get('/graphql', (request, response, next) => {
      if (request.accepts(['application/json', 'text/html']) !== 'text/html' || request.query.query !== undefined) return next();
      response.status(404).setHeader('Cache-Control', 'no-cache');
      response.type('html').send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ketenbeeld – no IDE here</title></head><body><main><h1>No IDE on this server</h1><p>The GraphQL IDE is switched off here (GRAPHQL_IDE=off). Send queries as HTTP POST to ${paths.ide}; the schema is at <a href="${paths.schema}">${paths.schema}</a>.</p></main></body></html>`);
    });
    return router;
  }
  const versions = Object.fromEntries(['react', 'react-dom', 'graphiql'].map((pkg) => [pkg, packageVersion(pkg)]));
  const introspection = JSON.stringify(introspectionFromSchema(schema, { descriptions: true }));
  const vendor = (name: string) => `/graphql/ide/${name}?v=${versions[VENDOR_FILES[name].pkg]}`;
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ketenbeeld – GraphiQL</title>
<link rel="stylesheet" href="${vendor('graphiql.css')}">
<style>body { margin: 0; } #graphiql { height: 100vh; }</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<noscript><p>GraphiQL needs JavaScript. Without it, send queries as HTTP POST to ${paths.ide}; the schema is at <a href="${paths.schema}">${paths.schema}</a>.</p></noscript>
<script type="application/json" id="ide-config">${jsonForScript({ endpoint: paths.ide, schemaUrl: '/graphql/ide/schema.json', defaultQuery: DEFAULT_QUERY })}</script>
<script src="${vendor('react.js')}"></script>
<script src="${vendor('react-dom.js')}"></script>
<script src="${vendor('graphiql.js')}"></script>
<script src="${paths.asset('ide.js')}"></script>
</body>
</html>
`.text;

  router.get('/graphql', (request, response, next) => {
    const wantsPage = request.accepts(['application/json', 'text/html']) === 'text/html' && request.query.query === undefined;
    if (!wantsPage) return next();
    response.setHeader('Content-Security-Policy', IDE_CSP);
    response.setHeader('Cache-Control', 'no-cache');
    response.type('html').send(page);
  });
  router.get('/graphql/ide/schema.json', (_request, response) => {
    response.setHeader('Cache-Control', 'no-cache');
    response.type('json').send(introspection);
  });
  router.get('/graphql/ide/:name', (request, response, next) => {
    const file = VENDOR_FILES[request.params.name];
    if (!file) return next();
    response.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    response.type(file.type).sendFile(packageFile(file.pkg, file.file));
  });
  return router;
}
