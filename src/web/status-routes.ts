import express from 'express';
import type { Log } from '../log';
import { RecentValidators, sendCacheable, sendNotModified, versionOf } from './conditional';
import { Language, languageOf, MESSAGES } from './language';
import type { Paths } from './layout';
import type { LiveStatus } from './live';
import { parseMoment } from './moment';
import { renderProblem, renderStatusIndex } from './pages';
import { CBS_CODE, PublicMunicipality, PublicPicture } from './public-picture';
import { renderStatusFeed } from './status-feed';
import { renderLiveRegion, renderStatusPage } from './status-page';

export const PAGE_CSP = "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; object-src 'none'";

const HTML = 'text/html; charset=utf-8';

interface StatusRoutesOptions {
  picture: PublicPicture;
  paths: Paths;
  validators: RecentValidators;
  live: LiveStatus;
  maxAgeSeconds: number;
  /** Whether the caller may open one more live stream now (the rate limit of the public). */
  /** Seconds the reader must wait before it may open a live stream; 0: now. */
  mayConnect(request: express.Request): Promise<number>;
  log: Log;
}

/** The live region as the page renders it, and its version (the page's `data-version`). */
export function liveRendering(municipality: PublicMunicipality, language: Language) {
  const html = renderLiveRegion(municipality, language).text;
  return { html, version: versionOf(html) };
}

function languageFor(request: express.Request): Language {
  return languageOf(request.query.lang, request.header('accept-language'));
}

/** Responses that depend on Accept-Language say so, unless `?lang=` decided. */
function varyOf(request: express.Request): string | undefined {
  return request.query.lang === 'en' || request.query.lang === 'nl' ? undefined : 'Accept-Language';
}

/**
 * `/status` (choose a municipality), `/status/GM0553` (its page), `/status/GM0553/feed.atom`
 * (its Atom feed) and `/status/GM0553/live` (its Server-Sent Events), all read as the public.
 */
export function statusRoutes(options: StatusRoutesOptions): express.Router {
  const { picture, paths, validators, live, maxAgeSeconds, log } = options;
  const router = express.Router();
  router.use((_request, response, next) => {
    response.setHeader('Content-Security-Policy', PAGE_CSP);
    response.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  });

  const problem = (request: express.Request, response: express.Response, status: number, title: string, message: string) => {
    const language = languageFor(request);
    response.status(status).setHeader('Cache-Control', 'no-store');
    response.type(HTML).send(renderProblem(language, paths, title, message).text);
  };

  /** The code in the address, or null after answering: a lower-case code is redirected to its canonical address. */
  const codeOf = (request: express.Request, response: express.Response): string | null => {
    const given = String(request.params.code);
    const code = given.toUpperCase();
    const words = MESSAGES[languageFor(request)];
    if (!CBS_CODE.test(code)) {
      problem(request, response, 404, words.badAddressTitle, words.badCode);
      return null;
    }
    if (code !== given) {
      const query = request.originalUrl.includes('?') ? request.originalUrl.slice(request.originalUrl.indexOf('?')) : '';
      response.redirect(301, `${request.baseUrl}${request.path.replace(given, code)}${query}`);
      return null;
    }
    return code;
  };

  router.get('/status', (request, response) => {
    const language = languageFor(request);
    const given = typeof request.query.code === 'string' ? request.query.code.trim() : null;
    if (given !== null) {
      const code = given.toUpperCase();
      if (CBS_CODE.test(code)) {
        response.redirect(303, paths.withQuery(paths.statusPage(code), { lang: typeof request.query.lang === 'string' ? language : undefined }));
        return;
      }
      response.status(400).setHeader('Cache-Control', 'no-store');
      response.type(HTML).send(renderStatusIndex(language, paths, { given, message: MESSAGES[language].badCode }).text);
      return;
    }
    const vary = varyOf(request);
    sendCacheable(request, response, { body: renderStatusIndex(language, paths, null).text, contentType: HTML, maxAgeSeconds: 3600, vary });
  });

  router.get('/status/:code', async (request, response) => {
    const code = codeOf(request, response);
    if (code === null) return;
    const language = languageFor(request);
    const words = MESSAGES[language];
    let asOf: Date | null = null;
    if (typeof request.query.asOf === 'string' && request.query.asOf !== '') {
      asOf = parseMoment(request.query.asOf);
      if (!asOf) return problem(request, response, 400, words.badAddressTitle, words.badMoment);
      // A moment to come is now.
      if (asOf.getTime() >= Date.now()) asOf = null;
    }
    const vary = varyOf(request);
    const variant = `page ${language} ${asOf?.toISOString() ?? 'now'}`;
    const known = validators.freshMatch(code, variant, request.header('if-none-match'));
    if (known) return sendNotModified(response, known, maxAgeSeconds, vary);
    const municipality = await picture.municipality(code, asOf);
    if (!municipality) return problem(request, response, 404, words.notFoundTitle, words.notFound(code));
    const body = renderStatusPage({ municipality, language, asOf, paths }).text;
    validators.remember(code, variant, sendCacheable(request, response, { body, contentType: HTML, maxAgeSeconds, vary }));
  });

  router.get('/status/:code/feed.atom', async (request, response) => {
    const code = codeOf(request, response);
    if (code === null) return;
    const language = languageFor(request);
    const vary = varyOf(request);
    const variant = `feed ${language} ${request.protocol}://${request.get('host')}`;
    const known = validators.freshMatch(code, variant, request.header('if-none-match'));
    if (known) return sendNotModified(response, known, maxAgeSeconds, vary);
    const municipality = await picture.municipality(code, null);
    if (!municipality) return problem(request, response, 404, MESSAGES[language].notFoundTitle, MESSAGES[language].notFound(code));
    const body = renderStatusFeed(municipality, language, paths, `${request.protocol}://${request.get('host')}`).text;
    validators.remember(code, variant, sendCacheable(request, response, { body, contentType: 'application/atom+xml; charset=utf-8', maxAgeSeconds, vary }));
  });

  router.get('/status/:code/live', async (request, response) => {
    const code = codeOf(request, response);
    if (code === null) return;
    const wait = await options.mayConnect(request);
    if (wait > 0) {
      response.status(429).setHeader('Retry-After', String(wait));
      response.end();
      return;
    }
    const language = languageFor(request);
    const shown = request.header('last-event-id') ?? (typeof request.query.shown === 'string' ? request.query.shown : '');
    if (!(await live.connect(request, response, code, language, shown))) {
      problem(request, response, 404, MESSAGES[language].notFoundTitle, MESSAGES[language].notFound(code));
    }
  });

  router.use('/status', (error: unknown, request: express.Request, response: express.Response, next: express.NextFunction) => {
    if (response.headersSent) return next(error);
    log.error('a status page failed', { path: request.path, error });
    const words = MESSAGES[languageFor(request)];
    problem(request, response, 503, words.unavailableTitle, words.unavailable);
  });
  return router;
}
