import { timingSafeEqual, createHash } from 'node:crypto';
import type { AppConfig, Role } from '../../shared/contract/config.ts';

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
