import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { DestinationPolicy, DestinationRefused } from '../../platform/outbound-destination';

/** The Standard Webhooks secret prefix; what follows is base64 of the key bytes. */
const SECRET_PREFIX = 'whsec_';
/** What the delivery log keeps of a receiver's answer. */
export const EXCERPT_CHARS = 200;
/** Bytes read of a response before the socket is closed: enough for the excerpt in any UTF-8. */
const READ_BYTES = EXCERPT_CHARS * 4;

/** A new signing secret: 32 random bytes, `whsec_` + base64 (Standard Webhooks). */
export function newSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with the secret's bytes (Standard Webhooks). */
export function signatureOf(secret: string, messageId: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  const mac = createHmac('sha256', key).update(`${messageId}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

export interface Message {
  id: string;
  body: string;
}

/** What one attempt came to; `ok` only for a 2xx answer. */
export interface AttemptOutcome {
  ok: boolean;
  statusCode: number | null;
  responseExcerpt: string | null;
  error: string | null;
}

/**
 * POSTs one signed message. The destination is checked again now (a name that resolved to a public
 * address at registration may resolve elsewhere today) and the connection goes to the checked
 * address. No redirect is followed (a 3xx is a failure), the whole attempt has one deadline, and the
 * response is read only as far as its excerpt, then the socket is closed.
 */
export async function sendMessage(policy: DestinationPolicy, url: string, secret: string, message: Message, options: { timeoutMs: number; now: Date }): Promise<AttemptOutcome> {
  let destination;
  try {
    destination = await policy.check(url);
  } catch (error) {
    if (error instanceof DestinationRefused) return { ok: false, statusCode: null, responseExcerpt: null, error: `refused: ${error.message}` };
    throw error;
  }
  const timestamp = Math.floor(options.now.getTime() / 1000);
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(message.body)),
    'user-agent': 'ketenbeeld-webhooks',
    'webhook-id': message.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatureOf(secret, message.id, timestamp, message.body),
  };
  // The checked address, whatever the system resolver would say now.
  const pinned: LookupFunction = (_host, lookupOptions, callback) => {
    if ((lookupOptions as { all?: boolean }).all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: destination.address, family: destination.family }]);
    else callback(null, destination.address, destination.family);
  };
  const transport = destination.url.protocol === 'https:' ? https : http;
  return new Promise<AttemptOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      request.destroy();
      resolve(outcome);
    };
    const request = transport.request(destination.url, { method: 'POST', headers, lookup: pinned, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      let read = 0;
      const answer = () => {
        const statusCode = response.statusCode ?? 0;
        const excerpt = Buffer.concat(chunks).toString('utf8').slice(0, EXCERPT_CHARS);
        const ok = statusCode >= 200 && statusCode < 300;
        let error: string | null = null;
        if (statusCode >= 300 && statusCode < 400) error = `redirect${response.headers.location ? ` to ${response.headers.location.slice(0, 200)}` : ''} not followed`;
        else if (!ok) error = `answered ${statusCode}`;
        response.destroy();
        finish({ ok, statusCode, responseExcerpt: excerpt === '' ? null : excerpt, error });
      };
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        read += chunk.length;
        if (read >= READ_BYTES) answer();
      });
      response.on('end', answer);
      response.on('error', answer);
    });
    const deadline = setTimeout(() => finish({ ok: false, statusCode: null, responseExcerpt: null, error: `no answer within ${options.timeoutMs} ms` }), options.timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, statusCode: null, responseExcerpt: null, error: (error.code ? `${error.code}: ` : '') + error.message.slice(0, 300) }));
    request.end(message.body);
  });
}
