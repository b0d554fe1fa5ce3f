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
  const raw = doc.toJS() ?? {};
  const result = appConfig.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(`${label} is invalid:\n${describeIssues(result.error.issues, doc.contents, lineCounter)}`);
  }
  return result.data;
}

function describeIssues(issues: z.core.$ZodIssue[], root: YamlNode | null, lines: LineCounter): string {
  return issues
    .map((issue) => {
      const path = issue.path.map(String);
      const line = lineOf(root, path, lines);
      const where = path.length ? path.join('.') : '(top level)';
      const unknownKeys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
      return `  ${where}${line ? ` (line ${line})` : ''}: ${issue.message}${unknownKeys}`;
    })
    .join('\n');
}

function lineOf(root: YamlNode | null, path: string[], lines: LineCounter): number | undefined {
  let node: unknown = root;
  let lastRange: [number, number, number] | undefined = (root as { range?: [number, number, number] } | null)?.range;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => String((p.key as { value?: unknown })?.value ?? p.key) === key);
      if (!pair) break;
      node = pair.value;
      const keyRange = (pair.key as { range?: [number, number, number] })?.range;
      lastRange = (node as { range?: [number, number, number] })?.range ?? keyRange;
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
  }
  return { ...config, tokens: [...config.tokens, ...extra], redis };
}
