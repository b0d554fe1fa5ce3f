import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../server/config/env.ts';
import { externalRedisConnection, parseSentinels } from '../../server/config/redis-connection.ts';

const connection = (vars: Record<string, string>) => externalRedisConnection(parseEnv({ NODE_ENV: 'test', ...vars }));

describe('externalRedisConnection', () => {
  it('is undefined without REDIS_URL or REDIS_SENTINELS (the embedded Redis)', () => {
    expect(connection({})).toBeUndefined();
  });

  it('reads REDIS_URL: host, port, credentials, TLS, database', () => {
    expect(connection({ REDIS_URL: 'rediss://wb:p%40ss@redis.bank.example:6380/2' })).toEqual({
      host: 'redis.bank.example',
      port: 6380,
      username: 'wb',
      password: 'p@ss',
      tls: {},
      db: 2,
    });
    expect(connection({ REDIS_URL: 'redis://10.0.0.5' })).toEqual({ host: '10.0.0.5', port: 6379, db: 0 });
  });

  it('refuses a REDIS_URL that is not redis:// or rediss://, or names no numeric database', () => {
    expect(() => connection({ REDIS_URL: 'http://10.0.0.5:6379' })).toThrow(/REDIS_URL: expected redis:\/\/ or rediss:\/\//);
    expect(() => connection({ REDIS_URL: 'redis://10.0.0.5/metrics' })).toThrow(/REDIS_URL: the database "metrics" is not a number/);
  });

  it('builds a Sentinel connection that follows failovers', () => {
    expect(
      connection({
        REDIS_SENTINELS: '10.0.0.1:26379, sentinel-b , [fd00::1]:26380',
        REDIS_SENTINEL_MASTER: 'wallboard',
        REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
        REDIS_USERNAME: 'wb',
        REDIS_PASSWORD: 'data-secret',
      }),
    ).toEqual({
      sentinels: [
        { host: '10.0.0.1', port: 26379 },
        { host: 'sentinel-b', port: 26379 },
        { host: 'fd00::1', port: 26380 },
      ],
      name: 'wallboard',
      role: 'master',
      failoverDetector: true,
      sentinelPassword: 'sentinel-secret',
      username: 'wb',
      password: 'data-secret',
    });
  });

  it('names the variable in every mistake', () => {
    expect(() => connection({ REDIS_SENTINELS: '10.0.0.1:26379' })).toThrow(/REDIS_SENTINELS needs REDIS_SENTINEL_MASTER/);
    expect(() => connection({ REDIS_SENTINELS: '10.0.0.1:26379', REDIS_SENTINEL_MASTER: 'm', REDIS_URL: 'redis://x' })).toThrow(
      /REDIS_URL and REDIS_SENTINELS are both set/,
    );
    expect(() => connection({ REDIS_SENTINEL_MASTER: 'm', REDIS_PASSWORD: 'x' })).toThrow(
      /REDIS_SENTINEL_MASTER, REDIS_PASSWORD set without REDIS_SENTINELS/,
    );
  });
});

describe('parseSentinels', () => {
  it.each(['', ' , ', 'host:0', 'host:70000', 'host:port', 'a b:26379', '[fd00::1'])('refuses %j', (list) => {
    expect(() => parseSentinels(list)).toThrow(/REDIS_SENTINELS/);
  });
});
