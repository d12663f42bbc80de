import { HeaderMap } from '@apollo/server';
import type { ApolloServer, HTTPGraphQLRequest } from '@apollo/server';
import type express from 'express';
import type { RequestContext } from '../context';

/**
 * Apollo Server behind Express: the request as Apollo wants it, Apollo's answer written back. It
 * does what `expressMiddleware` of @as-integrations/express5 does, with one difference: an answer
 * kept as bytes (`RequestContext.reply`, src/modules/overview/kept-what-ifs.ts) is sent as those
 * bytes. Encoding Centric's gateway's 5.8 MB what-if from a string again took about 13 ms a response.
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
    let context: RequestContext | undefined;
    const response = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: request,
      context: async () => (context = await contextFor({ req, res })),
    });
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      const kept = context?.reply.keptBytes;
      if (kept) {
        res.setHeader('content-length', kept.length);
        res.end(kept);
      } else {
        res.send(response.body.string);
      }
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  };
}
