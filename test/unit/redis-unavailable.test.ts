import { describe, expect, it } from 'vitest';
import { isRedisUnavailableError } from '../../server/errors.ts';

/** Which Redis failures ingest answers 503 + Retry-After (re-send) rather than 500. */
describe('isRedisUnavailableError', () => {
  it.each([
    ['LOADING Redis is loading the dataset in memory'],
    ['BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.'],
    ["OOM command not allowed when used memory > 'maxmemory'."],
    ["READONLY You can't write against a read only replica."],
    ['MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no.'],
    ['NOREPLICAS Not enough good replicas to write.'],
    ['MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk.'],
    ['TRYAGAIN Multiple keys request during rehashing of slot'],
    ['CLUSTERDOWN The cluster is down'],
    // Redis 7 passes a refusal inside a script through as it is; older servers wrap it in ERR
    ["READONLY You can't write against a read only replica. script: 0123abcd, on @user_script:12."],
    ["ERR Error running script (call to f_0123): @user_script:12: -READONLY You can't write against a read only replica."],
    ['Connection is closed.'],
    ['connect ECONNREFUSED 127.0.0.1:6379'],
    // ioredis's commandTimeout (INGEST_REDIS_TIMEOUT_MS): Redis hangs without closing the connection
    ['Command timed out'],
  ])('%s', (message) => {
    expect(isRedisUnavailableError(new Error(message))).toBe(true);
  });

  it('is false for errors a retry would not cure', () => {
    expect(isRedisUnavailableError(new Error("ERR wrong number of arguments for 'hset' command"))).toBe(false);
    expect(isRedisUnavailableError(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
    expect(isRedisUnavailableError(new Error('NOSCRIPT No matching script. Please use EVAL.'))).toBe(false);
    expect(isRedisUnavailableError(undefined)).toBe(false);
    // a refusal word inside another error's text (an agent called OOM) is no refusal
    expect(isRedisUnavailableError(new Error('agent OOM was not loaded'))).toBe(false);
    expect(isRedisUnavailableError(new Error('ERR queue "BUSY lines" unknown'))).toBe(false);
  });

  it('knows a lost connection by its code', () => {
    expect(isRedisUnavailableError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRedisUnavailableError(Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' }))).toBe(true);
  });
});
