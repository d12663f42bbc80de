import { createHash } from 'node:crypto';
import type express from 'express';

/** A short strong validator of the bytes shown: equal bytes, equal tag, on every server instance. */
export function versionOf(body: string | Buffer): string {
  return createHash('sha1').update(body).digest('base64url').slice(0, 22);
}

export function etagOf(body: string | Buffer): string {
  return `"${versionOf(body)}"`;
}

/** If-None-Match (RFC 9110 13.1.2): weak comparison, a list of tags, or `*`. */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => {
    const candidate = tag.trim();
    return candidate === '*' || candidate.replace(/^W\//, '') === bare;
  });
}

export interface Cacheable {
  body: string;
  contentType: string;
  maxAgeSeconds: number;
  /** Request headers the body depends on besides the URL. */
  vary?: string;
}

/**
 * Sends a public response any cache may keep for `maxAgeSeconds`, with an ETag of its bytes; a
 * request that already holds those bytes gets 304 and no body. Returns the ETag.
 */
export function sendCacheable(request: express.Request, response: express.Response, cacheable: Cacheable): string {
  const etag = etagOf(cacheable.body);
  response.setHeader('ETag', etag);
  response.setHeader('Cache-Control', `public, max-age=${cacheable.maxAgeSeconds}`);
  if (cacheable.vary) response.setHeader('Vary', cacheable.vary);
  if (matchesEtag(request.header('if-none-match'), etag)) {
    response.status(304).end();
    return etag;
  }
  response.setHeader('Content-Type', cacheable.contentType);
  response.status(200).send(cacheable.body);
  return etag;
}

/**
 * The ETags this server gave out lately, per municipality and page variant, each trusted for the
 * max-age it was sent with. A conditional request for a tag given out less than max-age ago is
 * answered 304 without asking the picture again: any cache in front may serve the page that long
 * anyway. A change reported for the municipality forgets its tags at once (src/web/live.ts).
 */
export class RecentValidators {
  private readonly byMunicipality = new Map<string, Map<string, { etag: string; until: number }>>();

  constructor(private readonly maxAgeMs: number, private readonly most = 20_000) {}

  remember(municipality: string, variant: string, etag: string, now = Date.now()): void {
    if (this.maxAgeMs <= 0) return;
    let variants = this.byMunicipality.get(municipality);
    if (!variants) {
      // Bounded: the oldest municipality's tags go first (a Map iterates in insertion order).
      if (this.byMunicipality.size >= this.most) this.byMunicipality.delete(this.byMunicipality.keys().next().value!);
      variants = new Map();
      this.byMunicipality.set(municipality, variants);
    }
    variants.set(variant, { etag, until: now + this.maxAgeMs });
  }

  /** The tag this variant was last given out with, when `ifNoneMatch` names it and it is still fresh; otherwise null. */
  freshMatch(municipality: string, variant: string, ifNoneMatch: string | undefined, now = Date.now()): string | null {
    const entry = this.byMunicipality.get(municipality)?.get(variant);
    return entry !== undefined && entry.until > now && matchesEtag(ifNoneMatch, entry.etag) ? entry.etag : null;
  }

  forget(municipality: string): void {
    this.byMunicipality.delete(municipality);
  }
}

/** 304 for a tag recently given out, with the headers the full answer would carry. */
export function sendNotModified(response: express.Response, etag: string, maxAgeSeconds: number, vary?: string): void {
  response.setHeader('ETag', etag);
  response.setHeader('Cache-Control', `public, max-age=${maxAgeSeconds}`);
  if (vary) response.setHeader('Vary', vary);
  response.status(304).end();
}
