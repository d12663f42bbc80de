import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { GraphQLError } from 'graphql';
import type { DataSource, EntityManager } from 'typeorm';
import type { Config } from './config';
import { poolOf } from './db/pool';
import { AppError } from './errors';
import { Authenticator, Viewer } from './modules/access';
import type { Caller } from './platform/admission';
import { clientAddressOf, trustedProxies, TrustsProxy } from './platform/client-address';
import { RateLimited, rateLimitedError, RateLimits } from './platform/rate-limit';
import { countRateLimitRefusal } from './platform/metrics';

/** How long a refusal at the door waits before it is sent. */
const REFUSAL_PAUSE_MS = 1000;

/**
 * Who is asking, for an HTTP request and a WebSocket connection alike: the client's address (behind
 * the proxies TRUST_PROXY names), the rate limits around authentication (src/platform/rate-limit.ts),
 * and the access module's authenticator between them.
 */
export class CallerGate {
  private readonly authenticator: Authenticator;
  private readonly rateLimits: RateLimits;
  /** Also Express's `trust proxy`, so that `req.ip` says the same. */
  readonly trustsProxy: TrustsProxy;

  constructor(config: Config, dataSource: DataSource, private readonly db: EntityManager = dataSource.manager) {
    const { limits } = config;
    this.authenticator = new Authenticator(config.jwt);
    this.rateLimits = new RateLimits(
      {
        perMinute: limits.rateLimitPerMinute, burst: limits.rateLimitBurst, failedAuthPerMinute: limits.rateLimitFailedAuthPerMinute,
        costPerMinute: limits.queryCostPerMinute, costPerMinutePublic: limits.queryCostPerMinutePublic,
      },
      poolOf(dataSource),
    );
    this.trustsProxy = trustedProxies(config.trustProxy);
  }

  /**
   * Express middleware for /graphql, before the body is read: a caller this instance refused lately
   * is refused again (429, RATE_LIMITED, Retry-After) without JSON parsing, Apollo or SQL, and after
   * a pause of REFUSAL_PAUSE_MS (never beyond Retry-After): a client that was told to wait and asks
   * again at once then waits on its open request instead of spinning the server. Even at the door a
   * refusal costs what Express costs per request (0.4 ms here); a client asking over and over on a
   * few connections took a third of the server's core from the writers without the pause.
   */
  readonly door: RequestHandler = (request, response, next) => {
    const refusal = this.rateLimits.atTheDoor(this.clientAddressOf(request), request.header('authorization'));
    if (!refusal) {
      next();
      return;
    }
    countRateLimitRefusal('http');
    setTimeout(() => {
      if (response.destroyed) return;
      response.status(429).setHeader('retry-after', String(refusal.retryAfterSeconds));
      response.json({ errors: [{ message: refusal.message, extensions: { code: 'RATE_LIMITED' } }] });
    }, Math.min(REFUSAL_PAUSE_MS, refusal.retryAfterSeconds * 1000));
  };

  /** Shares the counts this instance has not shared yet (the server stops). */
  close(): Promise<void> {
    return this.rateLimits.close();
  }

  clientAddressOf(request: IncomingMessage): string {
    return clientAddressOf(request, this.trustsProxy);
  }

  /**
   * Throws RateLimited, or the authenticator's UNAUTHENTICATED AppError. A WebSocket connection
   * (`isRequest: false`) is not counted against the caller; each of its subscriptions is.
   */
  identify(clientAddress: string, authorization: string | undefined, isRequest: boolean): Promise<Viewer> {
    return this.rateLimits.identify(
      { clientAddress, credential: authorization, isRequest },
      () => this.authenticator.viewerFor(this.db, authorization, new Date()),
      {
        isRefusal: (error) => error instanceof AppError,
        tokenIdOf: (viewer) => (viewer.kind === 'organisation' ? viewer.tokenId : null),
      },
    );
  }

  /** The same counted against the caller of an open connection: one subscription. */
  async subscription(viewer: Viewer, clientAddress: string): Promise<void> {
    await this.rateLimits.request(viewer.kind === 'organisation' ? { tokenId: viewer.tokenId } : clientAddress);
  }

  /** The estimated cost of an admitted operation, counted against the caller's work per minute. Throws RateLimited. */
  async charge(viewer: Viewer, clientAddress: string, cost: number): Promise<void> {
    await this.rateLimits.charge(viewer.kind === 'organisation' ? { tokenId: viewer.tokenId } : clientAddress, cost);
  }

  /** For Apollo (src/platform/admission.ts): the same, a refusal as HTTP's 429 with Retry-After. */
  readonly chargeOverHttp = async (context: { viewer: Viewer; clientAddress: string }, cost: number): Promise<void> => {
    try {
      await this.charge(context.viewer, context.clientAddress, cost);
    } catch (error) {
      if (error instanceof RateLimited) {
        countRateLimitRefusal('http');
        throw rateLimitedError(error);
      }
      throw error;
    }
  };

  /**
   * For an HTTP request: a refusal as the error Apollo answers with, before the query is parsed:
   * 429 with Retry-After, or 401 for a token that is present but unusable (never a silent fall-back
   * to the public).
   */
  async identifyOverHttp(clientAddress: string, authorization: string | undefined): Promise<Viewer> {
    try {
      return await this.identify(clientAddress, authorization, true);
    } catch (error) {
      if (error instanceof RateLimited) {
        countRateLimitRefusal('http');
        throw rateLimitedError(error);
      }
      if (error instanceof AppError) throw new GraphQLError(error.message, { extensions: { code: error.code, http: { status: 401 } } });
      throw error;
    }
  }
}

/** The admission's view of a caller: the public has a smaller cost budget. */
export function callerOf(context: { viewer: Viewer }): Caller {
  return context.viewer.kind === 'public' ? 'public' : 'organisation';
}
