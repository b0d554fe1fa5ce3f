import { timingSafeEqual, createHash } from 'node:crypto';
import type { AppConfig, Role } from '../../shared/contract/config.ts';
import { ConfigError } from '../config/env.ts';

export interface Principal {
  name: string;
  role: Role;
  /** true when the server runs open (loopback, no tokens configured) */
  devMode: boolean;
}

/** Which roles satisfy a requirement: admin can do everything, lead can view, ingest only posts. */
const grants: Record<Role, Role[]> = {
  admin: ['admin', 'lead', 'display', 'ingest'],
  lead: ['lead', 'display'],
  display: ['display'],
  ingest: ['ingest'],
};

export function roleSatisfies(have: Role, need: Role): boolean {
  return grants[have].includes(need);
}

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/**
 * Tokens still holding the example's CHANGE-ME placeholder are public (they are in the repository):
 * served beyond loopback they would hand the admin API to anyone. Throws for a non-loopback host;
 * on loopback returns a warning to log. Names the tokens, never their values.
 */
export function placeholderTokenCheck(tokens: readonly { token: string; role: Role; name: string }[], host: string): string | undefined {
  const placeholders = tokens.filter((t) => /change-me/i.test(t.token));
  if (placeholders.length === 0) return undefined;
  const names = placeholders.map((t) => `"${t.name}" (${t.role})`).join(', ');
  if (!isLoopback(host)) {
    throw new ConfigError(
      `Refusing to listen on ${host} with placeholder tokens: ${names} still contain CHANGE-ME, a value published with the example config.\n` +
        `  Replace each with a secret of your own (e.g. openssl rand -hex 24), or bind to 127.0.0.1.`,
    );
  }
  return `placeholder tokens: ${names} still contain CHANGE-ME (published with the example config); replace them before binding beyond loopback`;
}

/**
 * Resolves bearer tokens to principals. Tokens are compared by SHA-256 digest in constant time so
 * response timing says nothing about how much of a guess was right.
 */
export class TokenStore {
  private readonly entries: { digest: Buffer; name: string; role: Role }[];
  readonly devMode: boolean;

  constructor(config: AppConfig, host: string) {
    this.entries = config.tokens.map((t) => ({ digest: digest(t.token), name: t.name, role: t.role }));
    this.devMode = this.entries.length === 0 && isLoopback(host);
  }

  get hasTokens(): boolean {
    return this.entries.length > 0;
  }

  resolve(token: string | undefined): Principal | undefined {
    if (this.devMode) return { name: 'dev', role: 'admin', devMode: true };
    if (!token) return undefined;
    const d = digest(token);
    for (const e of this.entries) {
      if (timingSafeEqual(d, e.digest)) return { name: e.name, role: e.role, devMode: false };
    }
    return undefined;
  }

  /** first token of a role, for printing the demo URLs */
  firstTokenOf(config: AppConfig, role: Role): string | undefined {
    return config.tokens.find((t) => t.role === role)?.token;
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  return m?.[1];
}
