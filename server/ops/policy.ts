/**
 * Security policy constants, in one place for review.
 *
 * CSP: the built Svelte client is same-origin scripts and styles; Svelte transitions and Chart.js
 * set inline `style` attributes, hence 'unsafe-inline' for styles only (never for scripts).
 * Socket.IO connects back to the same origin; `ws:`/`wss:` are listed because older Chromium
 * builds on TV sticks do not treat a same-origin websocket as 'self'.
 * `upgrade-insecure-requests` is deliberately absent: LAN deployments over plain http must work.
 */
export const contentSecurityPolicy: Record<string, string[]> = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'", 'ws:', 'wss:'],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

export const rateLimits = {
  /**
   * Ingest requests per minute per token (or per IP without one). A real ACD adapter or the
   * simulator posts a few per second; 100/s of up to 5,000 events each is far above what one
   * Redis ingests, so this only stops a runaway producer.
   */
  ingestPerMinute: 6000,
  /** Sign-in attempts per minute per IP. */
  sessionPerMinute: 10,
};
