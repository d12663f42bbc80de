import fs from 'node:fs';
import path from 'node:path';
import type { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import express from 'express';
import type { GraphQLSchema } from 'graphql';
import type { EntityManager } from 'typeorm';
import type { Config } from '../config';
import type { RequestContext } from '../context';
import type { Log } from '../log';
import { PUBLIC_VIEWER } from '../modules/access';
import type { EventBus } from '../modules/events';
import type { CallerGate } from '../caller';
import { RateLimited } from '../platform/rate-limit';
import { RecentValidators, sendCacheable, versionOf } from './conditional';
import { ideRoutes } from './ide';
import { languageOf } from './language';
import { createPaths, Paths } from './layout';
import { LiveStatus } from './live';
import { renderLanding } from './pages';
import { PublicPicture } from './public-picture';
import { publicReadCaching } from './public-read-caching';
import { liveRendering, PAGE_CSP, statusRoutes } from './status-routes';

/** The repository (or image) root: where package.json is, whether this runs from src/ or dist/src/. */
function rootDirectory(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  }
  throw new Error(`No package.json above ${__dirname}`);
}

const TYPES: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

interface Asset { body: Buffer; type: string; version: string }

function loadAssets(directory: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of fs.readdirSync(directory)) {
    const type = TYPES[path.extname(name)];
    if (!type) continue;
    const body = fs.readFileSync(path.join(directory, name));
    assets.set(name, { body, type, version: versionOf(body).slice(0, 10) });
  }
  return assets;
}

export interface PublicFaceOptions {
  config: Config;
  schema: GraphQLSchema;
  db: EntityManager;
  events: EventBus;
  /** Counts each live stream a reader opens as one of the public's requests. */
  gate: CallerGate;
  log: Log;
}

/**
 * What the public and a developer with a browser see (docs/public-face.md): the landing page, the
 * status page per municipality with its Atom feed and live updates, the IDE, the printed schema.
 * Everything the status pages show is read through the public GraphQL API.
 */
export class PublicFace {
  readonly paths: Paths;
  /** Apollo plugins this needs: the public read's HTTP caching. */
  readonly apolloPlugins: ApolloServerPlugin<RequestContext>[];
  private live: LiveStatus | null = null;
  private readonly root = rootDirectory();
  private readonly assets: Map<string, Asset>;
  private readonly validators: RecentValidators;

  constructor(private readonly options: PublicFaceOptions) {
    this.assets = loadAssets(path.join(this.root, 'src/web/assets'));
    this.paths = createPaths(new Map([...this.assets].map(([name, asset]) => [name, asset.version])));
    this.apolloPlugins = [publicReadCaching(options.config.publicMaxAgeSeconds)];
    this.validators = new RecentValidators(options.config.publicMaxAgeSeconds * 1000);
  }

  /** Live readers on this instance (tests, diagnostics). */
  get liveReaders(): number {
    return this.live?.readerCount ?? 0;
  }

  /** The routes, on `app` before Apollo's /graphql handler (the IDE answers browsers there). */
  mount(app: express.Router, apollo: ApolloServer<RequestContext>): void {
    const { config, schema, db, events, gate, log } = this.options;
    const paths = this.paths;
    const picture = new PublicPicture(schema, db);
    const live = new LiveStatus(schema, db, events, picture, liveRendering, (cbsCode) => this.validators.forget(cbsCode), log);
    this.live = live;
    const maxAgeSeconds = config.publicMaxAgeSeconds;

    app.get('/', (request, response) => {
      const language = languageOf(request.query.lang, request.header('accept-language'));
      response.setHeader('Content-Security-Policy', PAGE_CSP);
      sendCacheable(request, response, {
        body: renderLanding(language, paths, config.ide).text, contentType: 'text/html; charset=utf-8', maxAgeSeconds: 300,
        vary: request.query.lang ? undefined : 'Accept-Language',
      });
    });
    app.get('/assets/:name', (request, response, next) => {
      const asset = this.assets.get(request.params.name);
      if (!asset) return next();
      // Versioned addresses never change their bytes; others may.
      response.setHeader('Cache-Control', request.query.v === asset.version ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
      response.setHeader('X-Content-Type-Options', 'nosniff');
      response.type(asset.type).send(asset.body);
    });
    const contract = fs.readFileSync(path.join(this.root, 'schema.graphql'), 'utf8');
    app.get('/schema.graphql', (request, response) => {
      sendCacheable(request, response, { body: contract, contentType: 'text/plain; charset=utf-8', maxAgeSeconds: 300 });
    });
    const docs = path.join(this.root, 'docs');
    app.get('/docs/:name', (request, response, next) => {
      const name = request.params.name;
      if (!/^[a-z0-9-]+\.md$/.test(name) || !fs.existsSync(path.join(docs, name))) return next();
      sendCacheable(request, response, { body: fs.readFileSync(path.join(docs, name), 'utf8'), contentType: 'text/plain; charset=utf-8', maxAgeSeconds: 300 });
    });
    app.use(ideRoutes(schema, paths, config.ide));
    app.use(statusRoutes({
      picture, paths, validators: this.validators, live, maxAgeSeconds, log,
      mayConnect: async (request) => {
        try {
          await gate.subscription(PUBLIC_VIEWER, gate.clientAddressOf(request));
          return 0;
        } catch (error) {
          if (error instanceof RateLimited) return error.retryAfterSeconds;
          throw error;
        }
      },
    }));
  }

  /** Ends the live streams, so the HTTP server can drain. */
  stop(): void {
    this.live?.stop();
  }
}
