import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../context';
import { etagOf, matchesEtag } from './conditional';

function addVary(current: string | undefined, ...names: string[]): string {
  const present = new Set((current ?? '').split(',').map((v) => v.trim().toLowerCase()).filter(Boolean));
  const added = names.filter((name) => !present.has(name.toLowerCase()));
  return [current, ...added].filter(Boolean).join(', ');
}

/**
 * The public GraphQL read over HTTP as a cache can keep it: a query without a token that answered
 * without errors gets `Cache-Control: public, max-age` and an ETag of its result, and a request
 * that already holds that result gets 304. Anything sent with a token is `private, no-store`, and
 * every answer varies on Authorization, so no cache hands the public's answer to a token or the
 * other way round.
 */
export function publicReadCaching(maxAgeSeconds: number): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ request, response, contextValue, operation }) {
          // Operations run in-process (the status pages, tests) have no HTTP to cache.
          if (!request.http) return;
          const headers = response.http.headers;
          headers.set('vary', addVary(headers.get('vary'), 'Authorization', 'Origin'));
          if (contextValue.viewer.kind !== 'public') {
            headers.set('cache-control', 'private, no-store');
            return;
          }
          const cacheable = operation?.operation === 'query' && response.body.kind === 'single' && !response.body.singleResult.errors?.length
            && (response.http.status ?? 200) === 200;
          if (!cacheable || response.body.kind !== 'single') {
            headers.set('cache-control', 'no-store');
            return;
          }
          const etag = etagOf(JSON.stringify(response.body.singleResult));
          headers.set('etag', etag);
          headers.set('cache-control', `public, max-age=${maxAgeSeconds}`);
          if (matchesEtag(request.http.headers.get('if-none-match'), etag)) response.http.status = 304;
        },
      };
    },
  };
}
