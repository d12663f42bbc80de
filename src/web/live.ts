import type express from 'express';
import { GraphQLSchema, parse, subscribe } from 'graphql';
import type { EntityManager } from 'typeorm';
import { createRequestContext } from '../context';
import { AppError } from '../errors';
import type { Log } from '../log';
import { PUBLIC_VIEWER } from '../modules/access';
import type { EventBus } from '../modules/events';
import type { Language } from './language';
import type { PublicMunicipality, PublicPicture } from './public-picture';

/** What the public API says changed: only the cursor, so resolving an event reads nothing. */
const STATUS_CHANGED = parse(`subscription PublicStatusChanges($cbsCode: String!) {
  statusChanged(municipalityCbsCode: $cbsCode) { cursor }
}`);

/** A burst of changes (a gateway taking a hundred services down) is one new picture, not a hundred. */
const SETTLE_MS = 100;
/** A comment now and then keeps proxies from closing a quiet stream. */
const KEEP_ALIVE_MS = 25_000;
/** How long a browser waits before it reconnects (the SSE `retry` field). */
const RETRY_MS = 5_000;

/** The live region of the page in one language, and the version the page's `data-version` carries. */
export interface LiveRendering {
  version: string;
  html: string;
}

interface Reader {
  response: express.Response;
  language: Language;
  /** The version this reader shows. */
  shown: string;
}

/** One municipality someone is watching: one public subscription for all its readers on this instance. */
class Watch {
  readonly readers = new Set<Reader>();
  private stream: AsyncGenerator<unknown> | null = null;
  private settling: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> = Promise.resolve();
  private closed = false;
  /** Changes heard so far; the renderings below are current when they were made at this count. */
  private changes = 0;
  private renderedAt = -1;
  private readonly latest = new Map<Language, LiveRendering>();

  constructor(readonly cbsCode: string, private readonly live: LiveStatus) {}

  /** False when the public API knows no such municipality. */
  async start(): Promise<boolean> {
    const result = await subscribe({
      schema: this.live.schema,
      document: STATUS_CHANGED,
      variableValues: { cbsCode: this.cbsCode },
      contextValue: createRequestContext(this.live.db, { viewer: PUBLIC_VIEWER, clientAddress: 'status-page' }),
      // The subscriptions' source of events, as over WebSocket (src/websocket.ts).
      rootValue: { events: this.live.events },
    });
    if (!(Symbol.asyncIterator in result)) {
      if (result.errors?.every((error) => error.originalError instanceof AppError && error.originalError.code === 'NOT_FOUND')) return false;
      throw new Error(`statusChanged(${this.cbsCode}) refused: ${JSON.stringify(result.errors)}`);
    }
    this.stream = result;
    void this.follow(result);
    return true;
  }

  private async follow(stream: AsyncGenerator<unknown>): Promise<void> {
    try {
      for await (const result of stream) {
        if ((result as { errors?: unknown[] }).errors) throw new Error(JSON.stringify((result as { errors: unknown[] }).errors));
        this.changes += 1;
        this.live.changed(this.cbsCode);
        this.settling ??= setTimeout(() => {
          this.settling = null;
          this.refresh();
        }, SETTLE_MS);
      }
    } catch (error) {
      this.live.log.error('a status page stopped following its municipality', { cbsCode: this.cbsCode, error });
    }
    // The stream ended (the server stops, or it failed): readers reconnect and start a new watch.
    this.close();
  }

  /**
   * Sends each reader what it does not show yet: from the renderings made since the last change
   * heard, or from one new read of the picture, rendered once per language read.
   */
  refresh(): void {
    this.refreshing = this.refreshing.then(async () => {
      if (this.closed || this.readers.size === 0) return;
      try {
        const languages = new Set([...this.readers].map((reader) => reader.language));
        if (this.renderedAt !== this.changes || [...languages].some((language) => !this.latest.has(language))) {
          const heard = this.changes;
          const municipality = await this.live.picture.municipality(this.cbsCode, null);
          if (!municipality) return this.close();
          this.latest.clear();
          for (const language of languages) this.latest.set(language, this.live.render(municipality, language));
          this.renderedAt = heard;
        }
        for (const reader of this.readers) this.send(reader, this.latest.get(reader.language)!);
      } catch (error) {
        this.live.log.error('rendering a live status update failed', { cbsCode: this.cbsCode, error });
      }
    });
  }

  send(reader: Reader, rendering: LiveRendering): void {
    if (reader.shown === rendering.version) return;
    reader.shown = rendering.version;
    reader.response.write(`event: picture\nid: ${rendering.version}\ndata: ${JSON.stringify({ html: rendering.html })}\n\n`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.settling) clearTimeout(this.settling);
    this.live.forgetWatch(this);
    for (const reader of this.readers) reader.response.end();
    this.readers.clear();
    void this.stream?.return(undefined);
  }
}

/**
 * Live status pages over Server-Sent Events. Each municipality with readers on this instance has
 * one public `statusChanged(municipalityCbsCode:)` subscription, executed here with graphql's
 * `subscribe` as the public; each change (after a short settle) is one read of the public picture,
 * rendered once per language and pushed to every reader of that municipality that shows something
 * else. A reader that reconnects says what it shows (Last-Event-ID) and gets only what changed.
 */
export class LiveStatus {
  private readonly watches = new Map<string, Watch>();
  private stopped = false;

  constructor(
    readonly schema: GraphQLSchema,
    readonly db: EntityManager,
    readonly events: EventBus,
    readonly picture: PublicPicture,
    readonly render: (municipality: PublicMunicipality, language: Language) => LiveRendering,
    /** Told of every change to a watched municipality (src/web/conditional.ts forgets its ETags). */
    readonly changed: (cbsCode: string) => void,
    readonly log: Log,
  ) {}

  get readerCount(): number {
    let count = 0;
    for (const watch of this.watches.values()) count += watch.readers.size;
    return count;
  }

  /**
   * Opens the stream; `shown` is the version the reader has. False, with nothing sent, when there is
   * no such municipality.
   */
  async connect(request: express.Request, response: express.Response, cbsCode: string, language: Language, shown: string): Promise<boolean> {
    if (this.stopped) {
      response.status(503).setHeader('Retry-After', '5').end();
      return true;
    }
    let watch = this.watches.get(cbsCode);
    if (!watch) {
      const started = new Watch(cbsCode, this);
      this.watches.set(cbsCode, started);
      let known;
      try {
        known = await started.start();
      } catch (error) {
        started.close();
        throw error;
      }
      if (!known) {
        started.close();
        return false;
      }
      watch = started;
    }
    response.status(200);
    response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    response.setHeader('Cache-Control', 'no-store');
    // nginx and friends buffer responses unless told not to.
    response.setHeader('X-Accel-Buffering', 'no');
    response.flushHeaders();
    response.write(`retry: ${RETRY_MS}\n\n`);
    const reader: Reader = { response, language, shown };
    watch.readers.add(reader);
    const keepAlive = setInterval(() => response.write(': still here\n\n'), KEEP_ALIVE_MS);
    request.once('close', () => {
      clearInterval(keepAlive);
      watch.readers.delete(reader);
      if (watch.readers.size === 0) watch.close();
    });
    // Whatever changed between the page and this connection (or while the reader was away).
    watch.refresh();
    return true;
  }

  forgetWatch(watch: Watch): void {
    if (this.watches.get(watch.cbsCode) === watch) this.watches.delete(watch.cbsCode);
  }

  /** Ends every stream, so the HTTP server can close (browsers reconnect to another instance). */
  stop(): void {
    this.stopped = true;
    for (const watch of [...this.watches.values()]) watch.close();
  }
}
