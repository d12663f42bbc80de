/** The roles a token can carry (issue: access control). */
export type Role = 'MUNICIPALITY' | 'OPERATOR' | 'VENDOR' | 'COORDINATOR';

/**
 * Who is asking. `public` has no token: it may read service availability per municipality and
 * nothing else. An organisation viewer comes from a bearer token (or a verified JWT).
 */
export type Viewer =
  | { kind: 'public' }
  | {
    kind: 'organisation'; organisationId: string; role: Role; tokenId: string;
    /** When the token (or JWT) stops being valid; a WebSocket connection is closed then. */
    expiresAt?: Date;
  };

export const PUBLIC_VIEWER: Viewer = Object.freeze({ kind: 'public' });
