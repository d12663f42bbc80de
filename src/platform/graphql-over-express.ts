import { HeaderMap } from '@apollo/server';
import type { ApolloServer, HTTPGraphQLRequest } from '@apollo/server';
import type express from 'express';
import type { RequestContext } from '../context';
import { linkGraphQLRequest } from './request-log';

/**
 * Apollo Server behind Express: the request as Apollo wants it, Apollo's answer written back (what
 * `expressMiddleware` of @as-integrations/express5 does, in a few lines we can read and change).
 */
export function graphqlOverExpress(
  apollo: ApolloServer<RequestContext>,
  contextFor: (http: { req: express.Request; res: express.Response }) => Promise<RequestContext>,
): express.RequestHandler {
  apollo.assertStarted('graphqlOverExpress()');
  return async (req, res) => {
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const request: HTTPGraphQLRequest = {
      method: req.method.toUpperCase(),
      headers,
      search: new URL(req.url, 'http://localhost').search,
      // express.json() ran before; without a JSON body Apollo answers a GET or says what is missing.
      body: req.body,
    };
    linkGraphQLRequest(request, res);
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: request,
      context: () => contextFor({ req, res }),
    });
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.send(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
}
