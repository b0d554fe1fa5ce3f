import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { appConfig, type AppConfig } from '../../shared/contract/config.ts';
import { ConfigError, type Env } from './env.ts';

export interface LoadedConfig {
  config: AppConfig;
  /** where it came from, for the start-up log */
  source: string;
}

/**
 * Reads the config file (YAML is a superset of JSON, so one parser serves both), validates it and
 * reports every problem with its key path and line number: "queues.2.channel (line 31): …".
 */
export function loadConfig(env: Env): LoadedConfig {
  if (!env.CONFIG) return { config: finish(appConfig.parse({}), env), source: 'built-in defaults' };
  const path = isAbsolute(env.CONFIG) ? env.CONFIG : resolve(process.cwd(), env.CONFIG);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read config file ${path}: ${(err as Error).message}`);
  }
  return { config: finish(parseConfigText(text, path), env), source: path };
}

export function parseConfigText(text: string, label = 'config'): AppConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new ConfigError(`${label}: ${e.message}`);
  }
  const raw: unknown = doc.toJS() ?? {};
  const result = appConfig.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(`${label} is invalid:\n${describeIssues(result.error.issues, doc.contents, raw, lineCounter)}`);
  }
  return result.data;
}

type Path = (string | number)[];

function describeIssues(issues: z.core.$ZodIssue[], root: YamlNode | null, raw: unknown, lines: LineCounter): string {
  const at = (path: Path, line: number | undefined) => ({ line, text: `  ${path.length ? path.join('.') : '(top level)'}${line ? ` (line ${line})` : ''}` });
  return issues
    .flatMap((issue) => {
      const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
      // one line per unknown key, at the key itself: the object it sits in may start far above
      if (issue.code === 'unrecognized_keys')
        return issue.keys.map((key) => {
          const where = at([...path, key], lineOf(root, [...path, key], lines, 'key'));
          return { ...where, text: `${where.text}: unknown key` };
        });
      let message = issue.message;
      const first = issue.code === 'custom' ? ((issue.params?.first as Path | undefined) ?? earlierSameId(raw, path)) : undefined;
      if (first) {
        const firstLine = lineOf(root, first, lines);
        // the schema names the first entry's path when it knows it; the line only the file has
        message = message.endsWith(`first at ${first.join('.')}`) ? message : `${message}, first at ${first.join('.')}`;
        if (firstLine) message += ` (line ${firstLine})`;
      }
      const where = at(path, lineOf(root, path, lines));
      return [{ ...where, text: `${where.text}: ${message}` }];
    })
    // in the file's order (zod's is the schema's); stable, so one line's problems keep theirs
    .sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity))
    .map((p) => p.text)
    .join('\n');
}

/**
 * For an issue on `<list>.<i>.id` (the alerts contract's "used twice" on rules, channels and
 * policies, which knows only the second entry): the path of the first entry with the same id.
 */
function earlierSameId(raw: unknown, path: Path): Path | undefined {
  if (path.length < 2 || path[path.length - 1] !== 'id') return undefined;
  const index = Number(path[path.length - 2]);
  let list: unknown = raw;
  for (const key of path.slice(0, -2)) list = (list as Record<string | number, unknown> | undefined)?.[key];
  if (!Array.isArray(list) || !Number.isInteger(index)) return undefined;
  const id = (list[index] as { id?: unknown } | undefined)?.id;
  const j = list.findIndex((x: unknown) => (x as { id?: unknown } | null)?.id === id);
  return j >= 0 && j < index ? [...path.slice(0, -2), j, 'id'] : undefined;
}

/** The line of the value at `path` (or, with 'key', of the last key itself); as deep as the file goes. */
function lineOf(root: YamlNode | null, path: Path, lines: LineCounter, of: 'value' | 'key' = 'value'): number | undefined {
  let node: unknown = root;
  let lastRange: [number, number, number] | undefined = (root as { range?: [number, number, number] } | null)?.range;
  for (const [i, segment] of path.entries()) {
    const key = String(segment);
    if (isMap(node)) {
      const pair = node.items.find((p) => String((p.key as { value?: unknown })?.value ?? p.key) === key);
      if (!pair) break;
      node = pair.value;
      const keyRange = (pair.key as { range?: [number, number, number] })?.range;
      lastRange = of === 'key' && i === path.length - 1 ? keyRange : ((node as { range?: [number, number, number] })?.range ?? keyRange);
    } else if (isSeq(node)) {
      node = node.items[Number(key)];
      lastRange = (node as { range?: [number, number, number] })?.range ?? lastRange;
    } else break;
  }
  return lastRange ? lines.linePos(lastRange[0]).line : undefined;
}

/** Env overrides on top of the file. */
function finish(config: AppConfig, env: Env): AppConfig {
  const extra = (env.INGEST_TOKENS ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((token, i) => {
      if (token.length < 16) throw new ConfigError(`INGEST_TOKENS entry ${i + 1}: tokens must be at least 16 characters`);
      return { token, role: 'ingest' as const, name: `env-ingest-${i + 1}` };
    });
  const redis = env.REDIS_DURABILITY === 'strict' ? { ...config.redis, appendfsync: 'always' as const } : config.redis;
  for (const [i, t] of extra.entries()) {
    const same = config.tokens.find((c) => c.token === t.token);
    if (same) throw new ConfigError(`INGEST_TOKENS entry ${i + 1}: already configured as the token "${same.name}" (${same.role}); one token, one role`);
    const j = extra.findIndex((e) => e.token === t.token);
    if (j < i) throw new ConfigError(`INGEST_TOKENS entry ${i + 1}: the same token as entry ${j + 1}`);
    // the name is who the audit trail and the logs say acted
    const named = config.tokens.find((c) => c.name === t.name);
    if (named) throw new ConfigError(`INGEST_TOKENS entry ${i + 1} is named "${t.name}", like a token in the config file; rename that one`);
  }
  return { ...config, tokens: [...config.tokens, ...extra], redis };
}
