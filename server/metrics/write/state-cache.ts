import { randomBytes } from 'node:crypto';

/**
 * A bounded map whose least recently written entries go first. A writer's held state lives in
 * these; evicting an entry costs only its reload (see center-writer.ts).
 */
export class LruMap<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly maxEntries: number) {}

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

/** A writer version: unique per process and call, so a wiped and refilled center never repeats one. */
export function versionSource(): () => string {
  const id = randomBytes(6).toString('base64url');
  let n = 0;
  return () => `${id}.${(++n).toString(36)}`;
}
