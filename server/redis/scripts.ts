import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

const luaDir = join(dirname(fileURLToPath(import.meta.url)), 'lua');

export interface LuaScript {
  name: string;
  numberOfKeys: number;
  lua: string;
}

/**
 * Lua scripts live as files in ./lua, each starting with a header:
 *   -- name: applyWrites
 *   -- keys: 1
 *   -- Input: … / Output: …
 * Shared helper code in ./lua/lib/*.lua is prepended where a script says `-- include: file.lua`.
 */
/** The script with its `-- include: file.lua` libraries prepended, in the order it names them. */
export function withIncludes(lua: string, readLib: (file: string) => string): string {
  const libs = [...lua.matchAll(/^--\s*include:\s*([\w.-]+)/gm)].map((m) => readLib(m[1]!));
  return [...libs, lua].join('\n');
}

export function loadScripts(): LuaScript[] {
  return readdirSync(luaDir)
    .filter((f) => f.endsWith('.lua'))
    .sort()
    .map((file) => {
      const lua = readFileSync(join(luaDir, file), 'utf8');
      const name = /^--\s*name:\s*(\w+)/m.exec(lua)?.[1];
      const keys = /^--\s*keys:\s*(\d+)/m.exec(lua)?.[1];
      if (!name || keys === undefined) throw new Error(`${file}: missing "-- name:" or "-- keys:" header`);
      return { name, numberOfKeys: Number(keys), lua: withIncludes(lua, (lib) => readFileSync(join(luaDir, 'lib', lib), 'utf8')) };
    });
}

export function defineScripts(redis: Redis, scripts: LuaScript[] = loadScripts()): void {
  for (const s of scripts) redis.defineCommand(s.name, { numberOfKeys: s.numberOfKeys, lua: s.lua });
}

/** SHA1s of all scripts: /readyz checks they are loaded on the server. */
export async function scriptsLoaded(redis: Redis, scripts: LuaScript[]): Promise<boolean> {
  const { createHash } = await import('node:crypto');
  const shas = scripts.map((s) => createHash('sha1').update(s.lua).digest('hex'));
  if (shas.length === 0) return true;
  const exists = (await redis.script('EXISTS', ...shas)) as number[];
  return exists.every((e) => Number(e) === 1);
}

export async function preloadScripts(redis: Redis, scripts: LuaScript[]): Promise<void> {
  for (const s of scripts) await redis.script('LOAD', s.lua);
}
