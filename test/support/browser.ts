import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildApp } from '../../server/app.ts';
import { parseEnv } from '../../server/config/env.ts';
import type { Clock } from '../../server/clock.ts';
import { appConfig, type AppConfigInput } from '../../shared/contract/config.ts';
import type { ContractEventInput } from '../../shared/contract/events.ts';
import { testRedisPort, uniquePrefix } from './redis.ts';

/**
 * Reusable harness for browser tests: a real server (real Redis of the test run, unique key
 * prefix) that can be stopped and started again on the same port, plus Debian's chromium driven
 * by playwright-core. Other suites (alerts banner, KPI pack) use it the same way.
 */
export const repoRoot = resolve(import.meta.dirname, '../..');
export const artifactsDir = resolve(repoRoot, 'test-artifacts');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface TestServerOptions {
  config?: AppConfigInput;
  /** inject a FakeClock for deterministic figures (the realtime heartbeat still runs on real timers) */
  clock?: Clock;
  /** default: 127.0.0.1 (open dev mode when the config has no tokens) */
  host?: string;
  /** run background loops (realtime heartbeat, alert evaluator); default true */
  background?: boolean;
  keyPrefix?: string;
}

export class TestServer {
  app!: FastifyInstance;
  port = 0;
  readonly keyPrefix: string;

  private constructor(private readonly opts: TestServerOptions) {
    this.keyPrefix = opts.keyPrefix ?? uniquePrefix('e2e');
  }

  static async start(opts: TestServerOptions = {}): Promise<TestServer> {
    const s = new TestServer(opts);
    await s.listen(0);
    return s;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** stop the HTTP server (sockets drop); `resume()` starts it again on the same port and prefix */
  async stop(): Promise<void> {
    await this.app.close();
  }

  async resume(): Promise<void> {
    await this.listen(this.port);
  }

  /** POST /api/v1/events; returns the ingest response */
  async postEvents(events: ContractEventInput[], token?: string): Promise<{ accepted: number; rejected: number; results: unknown[] }> {
    const res = await fetch(`${this.url}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(events),
    });
    const body = (await res.json()) as { accepted: number; rejected: number; results: unknown[] };
    if (!res.ok) throw new Error(`ingest answered ${res.status}: ${JSON.stringify(body)}`);
    return body;
  }

  async getJson<T>(path: string, token?: string): Promise<T> {
    const res = await fetch(`${this.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (!res.ok) throw new Error(`${path} answered ${res.status}`);
    return (await res.json()) as T;
  }

  private async listen(port: number): Promise<void> {
    const host = this.opts.host ?? '127.0.0.1';
    const env = parseEnv({ NODE_ENV: 'test', HOST: host, PORT: String(port), LOG_LEVEL: 'warn' });
    this.app = await buildApp({
      env,
      config: appConfig.parse(this.opts.config ?? {}),
      redis: { host: '127.0.0.1', port: testRedisPort() },
      keyPrefix: this.keyPrefix,
      ...(this.opts.clock ? { clock: this.opts.clock } : {}),
      background: this.opts.background ?? true,
      logger: { level: 'warn' },
    });
    await this.app.listen({ port, host });
    this.port = (this.app.server.address() as AddressInfo).port;
  }
}

/** Builds the client once if dist/client is missing (`npm test` builds it first anyway). */
export function ensureClientBuilt(): void {
  if (existsSync(resolve(repoRoot, 'dist/client/index.html'))) return;
  execFileSync('npx', ['vite', 'build', '--logLevel', 'error'], { cwd: repoRoot, stdio: 'inherit' });
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`chromium not found at ${chromiumPath}: apt-get install -y chromium`);
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
}

export interface OpenPageOptions {
  token?: string;
  viewport?: { width: number; height: number };
  /** device scale: 3840×2160 screenshots are taken at 1920×1080 CSS px × 2 when set to 2 */
  deviceScaleFactor?: number;
  /** runs before navigation (e.g. page.routeWebSocket to hold back server frames) */
  beforeGoto?: (page: Page) => Promise<void>;
  /** the browser's own time zone (default: the machine's), to show that screens use the center's */
  timezoneId?: string;
}

/** Opens `path` in a fresh context; the token travels in the URL fragment as a kiosk link would. */
export async function openPage(browser: Browser, server: TestServer, path: string, opts: OpenPageOptions = {}): Promise<{ page: Page; context: BrowserContext }> {
  const context = await browser.newContext({
    viewport: opts.viewport ?? { width: 1920, height: 1080 },
    deviceScaleFactor: opts.deviceScaleFactor ?? 1,
    ...(opts.timezoneId ? { timezoneId: opts.timezoneId } : {}),
  });
  const page = await context.newPage();
  await opts.beforeGoto?.(page);
  await page.goto(`${server.url}${path}${opts.token ? `#token=${encodeURIComponent(opts.token)}` : ''}`);
  return { page, context };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const path = resolve(artifactsDir, name);
  await page.screenshot({ path });
  return path;
}
