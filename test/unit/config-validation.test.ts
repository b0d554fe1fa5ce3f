import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, type Env } from '../../server/config/env.ts';
import { loadConfig, parseConfigText } from '../../server/config/load.ts';
import { alertRule } from '../../shared/contract/alerts.ts';
import { placeholderTokenCheck } from '../../server/auth/tokens.ts';
import { startServer } from '../../server/server.ts';

/**
 * Found in an operator's review: settings that started and then silently did something else — a
 * queue defined twice (its name from one entry, its channel from the other), a board row or
 * rotation naming nothing, a queue of an undefined center, percentages where ratios belong,
 * typos reported at the wrong line, and the example's published CHANGE-ME tokens served on the
 * network. Each is now refused at start, naming the key and the line.
 */

/** the loader's message, or '' when the text is accepted */
function errorOf(text: string): string {
  try {
    parseConfigText(text, 'cfg.yaml');
    return '';
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
}
const yaml = (...lines: string[]) => lines.join('\n') + '\n';

const sh = ['centers:', '  - id: sh', '    name: { zh: 上海, en: Shanghai }'];

describe('ids defined twice are refused, naming both lines', () => {
  it('a queue id twice in one center (the operator\'s case: voice then text)', () => {
    const text = yaml(
      ...sh, //                                                 1-3
      'queues:', //                                             4
      '  - id: personal', //                                    5
      '    center: sh',
      '    name: { zh: 个人业务, en: Personal banking }',
      '    channel: voice',
      '  - id: personal', //                                    9
      '    center: sh',
      '    name: { zh: 个人文本, en: Personal text }',
      '    channel: text',
    );
    expect(errorOf(text)).toMatch(/queues\.1\.id \(line 9\): queue "personal" of center "sh" is defined twice, first at queues\.0\.id \(line 5\)/);
  });

  it('the same queue id in two centers is two queues', () => {
    const text = yaml(
      'centers:',
      '  - { id: sh, name: { zh: 上海, en: Shanghai } }',
      '  - { id: cd, name: { zh: 成都, en: Chengdu } }',
      'queues:',
      '  - { id: personal, center: sh, name: { zh: 个人, en: Personal }, channel: voice }',
      '  - { id: personal, center: cd, name: { zh: 个人, en: Personal }, channel: voice }',
    );
    expect(errorOf(text)).toBe('');
  });

  it('centers, groups, teams, reasons and boards', () => {
    const centers = yaml('centers:', '  - { id: sh, name: { zh: 上海, en: Shanghai } }', '  - { id: sh, name: { zh: 上海2, en: Shanghai 2 } }');
    expect(errorOf(centers)).toMatch(/centers\.1\.id \(line 3\): center "sh" is defined twice, first at centers\.0\.id \(line 2\)/);

    const q = '  - { id: personal, center: sh, name: { zh: 个人, en: Personal }, channel: voice }';
    const groups = yaml(
      ...sh,
      'queues:',
      q,
      'groups:', //                                                                 6
      '  - { id: retail, center: sh, name: { zh: 零售, en: Retail }, queues: [personal] }',
      '  - { id: retail, center: sh, name: { zh: 零售2, en: Retail 2 }, queues: [personal] }',
    );
    expect(errorOf(groups)).toMatch(/groups\.1\.id \(line 8\): group "retail" of center "sh" is defined twice, first at groups\.0\.id \(line 7\)/);

    const teams = yaml(...sh, 'teams:', '  - { id: t1, center: sh, name: { zh: 一组, en: Team 1 } }', '  - { id: t1, center: sh, name: { zh: 二组, en: Team 2 } }');
    expect(errorOf(teams)).toMatch(/teams\.1\.id \(line 6\): team "t1" of center "sh" is defined twice, first at teams\.0\.id \(line 5\)/);

    const reasons = yaml('reasons:', '  - { id: aux-7, name: { zh: 回访, en: Callback } }', '  - { id: aux-7, name: { zh: 外呼, en: Outbound } }');
    expect(errorOf(reasons)).toMatch(/reasons\.1\.id \(line 3\): reason "aux-7" is defined twice, first at reasons\.0\.id \(line 2\)/);

    // /wall/<id> names a board by id alone, so ids are unique across centers
    const boards = yaml(
      'centers:',
      '  - { id: sh, name: { zh: 上海, en: Shanghai } }',
      '  - { id: cd, name: { zh: 成都, en: Chengdu } }',
      'boards:',
      '  - { id: overview, center: sh }',
      '  - { id: overview, center: cd }',
    );
    expect(errorOf(boards)).toMatch(/boards\.1\.id \(line 6\): board "overview" is defined twice, first at boards\.0\.id \(line 5\)/);
  });

  it('tokens: the same value twice, and the same name twice (the audit trail names the token)', () => {
    const value = yaml('tokens:', '  - { token: admin-token-0123456789, role: admin, name: ops }', '  - { token: admin-token-0123456789, role: ingest, name: acd }');
    const message = errorOf(value);
    expect(message).toMatch(/tokens\.1\.token \(line 3\): the token of "acd" is listed more than once \(it is also the token of "ops"\), first at tokens\.0\.token \(line 2\)/);
    expect(message).not.toContain('admin-token-0123456789');

    const name = yaml('tokens:', '  - { token: admin-token-0123456789, role: admin, name: ops }', '  - { token: ingest-token-0123456789, role: ingest, name: ops }');
    expect(errorOf(name)).toMatch(/tokens\.1\.name \(line 3\): token name "ops" is used twice, first at tokens\.0\.name \(line 2\)/);
  });

  it('INGEST_TOKENS: an entry twice, or a name a configured token has', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wb-ingest-tokens-'));
    try {
      const file = join(dir, 'config.yaml');
      writeFileSync(file, 'tokens:\n  - { token: admin-token-0123456789, role: admin, name: env-ingest-2 }\n');
      const env = (INGEST_TOKENS: string) => ({ CONFIG: file, INGEST_TOKENS }) as unknown as Env;
      expect(() => loadConfig(env('producer-token-0123456789,producer-token-0123456789'))).toThrow(/INGEST_TOKENS entry 2: the same token as entry 1/);
      expect(() => loadConfig(env('producer-token-0123456789,producer-token-9876543210'))).toThrow(/INGEST_TOKENS entry 2 is named "env-ingest-2", like a token in the config file/);
      expect(loadConfig(env('producer-token-0123456789')).config.tokens.map((t) => t.name)).toEqual(['env-ingest-2', 'env-ingest-1']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('alert rules, channels and policies (refused before) now also name the first line', () => {
    const rules = yaml(
      'alerts:',
      '  rules:',
      '    - {id: wait, metric: waiting, comparator: gt, warning: 5}',
      '    - {id: wait, metric: waiting, comparator: gt, warning: 9}',
    );
    expect(errorOf(rules)).toMatch(/alerts\.rules\.1\.id \(line 4\): rule id "wait" is used twice.*first at alerts\.rules\.0\.id \(line 3\)/);

    const channels = yaml(
      'alerts:',
      '  channels:',
      '    - {id: ops, type: webhook, url: "https://ops.example/a"}',
      '    - {id: ops, type: webhook, url: "https://ops.example/b"}',
    );
    expect(errorOf(channels)).toMatch(/alerts\.channels\.1\.id \(line 4\): channel id "ops" is used twice, first at alerts\.channels\.0\.id \(line 3\)/);

    const policies = yaml(
      'alerts:',
      '  escalation:',
      '    policies:',
      '      - {id: vip, levels: [{name: {zh: 班组长, en: Lead}}]}',
      '      - {id: vip, levels: [{name: {zh: 经理, en: Manager}}]}',
    );
    expect(errorOf(policies)).toMatch(/alerts\.escalation\.policies\.1\.id \(line 5\): policy id "vip" is used twice, first at alerts\.escalation\.policies\.0\.id \(line 4\)/);
  });

  it('a key twice in one map (displayThresholds, stateTimeThresholds, …) is a YAML error with its line, in YAML and JSON', () => {
    expect(errorOf(yaml('stateTimeThresholds:', '  acw: { warning: 120, critical: 300 }', '  acw: { warning: 60, critical: 90 }'))).toMatch(/unique.*line 3/is);
    expect(errorOf('{\n  "retention": { "lateEventHours": 24 },\n  "retention": { "lateEventHours": 48 }\n}\n')).toMatch(/unique.*line 3/is);
  });
});

describe('references to things not defined are refused, naming the key and the line', () => {
  const base = [
    'centers:', //                                                              1
    '  - { id: sh, name: { zh: 上海, en: Shanghai } }', //                     2
    '  - { id: cd, name: { zh: 成都, en: Chengdu } }', //                      3
    'queues:', //                                                               4
    '  - { id: personal, center: sh, name: { zh: 个人, en: Personal }, channel: voice }', // 5
    '  - { id: loans, center: cd, name: { zh: 贷款, en: Loans }, channel: voice }', //       6
    'groups:', //                                                               7
    '  - { id: retail, center: sh, name: { zh: 零售, en: Retail }, queues: [personal] }', // 8
  ];

  it('a board row naming an unknown queue or group (a typo would read as a quiet row)', () => {
    const text = yaml(
      ...base,
      'boards:', //                                                             9
      '  - id: queues', //                                                      10
      '    center: sh', //                                                      11
      '    rows:', //                                                           12
      '      - { kind: queue, queue: persnal }', //                             13
      '      - { kind: group, group: retial }', //                              14
      '      - { kind: queue, queue: loans }', //                               15 (a queue of cd)
      '      - { kind: queue, queue: personal }', //                            16
      '      - { kind: group, group: retail }', //                              17
    );
    const message = errorOf(text);
    expect(message).toMatch(/boards\.0\.rows\.0\.queue \(line 13\): unknown queue "persnal" in center "sh"/);
    expect(message).toMatch(/boards\.0\.rows\.1\.group \(line 14\): unknown group "retial" in center "sh"/);
    expect(message).toMatch(/boards\.0\.rows\.2\.queue \(line 15\): unknown queue "loans" in center "sh" \("loans" is a queue of center cd\)/);
    expect(message).not.toMatch(/rows\.[34]/);
  });

  it('rotateTo naming an unknown board; the built-in default board may be named', () => {
    const text = yaml(
      ...base,
      'boards:', //                                                             9
      '  - { id: overview, center: sh, rotateTo: [queues, default] }', //       10
      '  - { id: queues, center: sh, rotateTo: [overveiw] }', //                11
    );
    expect(errorOf(text)).toMatch(/boards\.1\.rotateTo\.0 \(line 11\): unknown board "overveiw" \(boards: overview, queues, default\)/);
    expect(errorOf(text)).not.toMatch(/boards\.0/);
  });

  it('a queue, group, team or board of a center that is not defined (the queue was silently dropped)', () => {
    const text = yaml(
      ...base,
      '  - { id: branch, center: bj, name: { zh: 北京, en: Beijing }, queues: [personal] }', // 9
      'teams:', //                                                              10
      '  - { id: t1, center: bj, name: { zh: 一组, en: Team 1 } }', //          11
      'boards:', //                                                             12
      '  - { id: beijing, center: bj }', //                                     13
    ).replace(
      '  - { id: loans, center: cd,',
      '  - { id: loans, center: bj,',
    );
    const message = errorOf(text);
    expect(message).toMatch(/queues\.1\.center \(line 6\): unknown center "bj" \(centers: sh, cd\)/);
    expect(message).toMatch(/groups\.1\.center \(line 9\): unknown center "bj"/);
    expect(message).toMatch(/teams\.0\.center \(line 11\): unknown center "bj"/);
    expect(message).toMatch(/boards\.0\.center \(line 13\): unknown center "bj"/);
  });

  it('a queue without center belongs to "default", which must then be a defined center', () => {
    const text = yaml(...sh, 'queues:', '  - { id: personal, name: { zh: 个人, en: Personal }, channel: voice }');
    expect(errorOf(text)).toMatch(/queues\.0\.center \(line 5\): unknown center "default" \(the center when none is given; centers: sh\)/);
    // with no centers configured, "default" is the built-in one
    expect(errorOf(yaml('queues:', '  - { id: personal, name: { zh: 个人, en: Personal }, channel: voice }'))).toBe('');
  });

  it('a group may still list a queue known only from events (the engine gives it the group)', () => {
    expect(errorOf(yaml(...base.slice(0, 7), '  - { id: retail, center: sh, name: { zh: 零售, en: Retail }, queues: [personal, from-acd-only] }'))).toBe('');
  });
});

describe('ratio thresholds are ratios', () => {
  it('the operator\'s case: serviceLevel given in percent', () => {
    const text = yaml('displayThresholds:', '  serviceLevel: {warning: 80, critical: 70}');
    const message = errorOf(text);
    expect(message).toMatch(/displayThresholds\.serviceLevel\.warning \(line 2\): a ratio between 0 and 1 \(80 % is 0\.8\), not 80/);
    expect(message).toMatch(/displayThresholds\.serviceLevel\.critical \(line 2\): a ratio between 0 and 1 \(80 % is 0\.8\), not 70/);
  });

  it('every ratio threshold: serviceLevel, answerRate, abandonRate, occupancy, csat, botResolutionRate', () => {
    for (const key of ['serviceLevel', 'answerRate', 'abandonRate', 'occupancy', 'csat', 'botResolutionRate']) {
      expect(errorOf(yaml('displayThresholds:', `  ${key}: {warning: 1.5, critical: 1.5}`)), key).toMatch(new RegExp(`displayThresholds\\.${key}\\.warning \\(line 2\\): a ratio between 0 and 1`));
      expect(errorOf(yaml('displayThresholds:', `  ${key}: {warning: -0.1, critical: -0.1}`)), key).toMatch(/a ratio between 0 and 1/);
    }
    // the bounds themselves are ratios
    expect(errorOf(yaml('displayThresholds:', '  serviceLevel: {warning: 1, critical: 0}'))).toBe('');
    // the others are seconds or counts, not ratios, and not negative
    expect(errorOf(yaml('displayThresholds:', '  longestWaitSec: {warning: 60, critical: 120}', '  waiting: {warning: 10, critical: 25}'))).toBe('');
    expect(errorOf(yaml('displayThresholds:', '  asaSec: {warning: -5, critical: 40}'))).toMatch(/displayThresholds\.asaSec\.warning \(line 2\)/);
  });

  it('warning and critical in the right order: below for higher-is-better figures, above for the others', () => {
    expect(errorOf(yaml('displayThresholds:', '  serviceLevel: {warning: 0.7, critical: 0.8}'))).toMatch(
      /displayThresholds\.serviceLevel\.critical \(line 2\): higher is better for serviceLevel, so the critical level \(0\.8\) must be at or below the warning level \(0\.7\)/,
    );
    expect(errorOf(yaml('displayThresholds:', '  abandonRate: {warning: 0.1, critical: 0.05}'))).toMatch(
      /displayThresholds\.abandonRate\.critical \(line 2\): lower is better for abandonRate, so the critical level \(0\.05\) must be at or above the warning level \(0\.1\)/,
    );
    for (const key of ['answerRate', 'csat', 'botResolutionRate']) expect(errorOf(yaml('displayThresholds:', `  ${key}: {warning: 0.5, critical: 0.6}`)), key).toMatch(/higher is better/);
    for (const key of ['occupancy']) expect(errorOf(yaml('displayThresholds:', `  ${key}: {warning: 0.6, critical: 0.5}`)), key).toMatch(/lower is better/);
    for (const key of ['longestWaitSec', 'asaSec', 'waiting']) expect(errorOf(yaml('displayThresholds:', `  ${key}: {warning: 60, critical: 30}`)), key).toMatch(/lower is better/);
    // equal levels: straight to critical, as for alert rules
    expect(errorOf(yaml('displayThresholds:', '  serviceLevel: {warning: 0.8, critical: 0.8}'))).toBe('');
  });

  it('stateTimeThresholds: an agent state (or state:reason), seconds, critical at or after warning', () => {
    expect(errorOf(yaml('stateTimeThresholds:', '  acww: { warning: 120, critical: 300 }'))).toMatch(/stateTimeThresholds\.acww \(line 2\): unknown agent state "acww"/);
    expect(errorOf(yaml('stateTimeThresholds:', '  acw: { warning: 300, critical: 120 }'))).toMatch(/stateTimeThresholds\.acw\.critical \(line 2\): the critical time \(120\) must be at or after the warning time \(300\)/);
    expect(errorOf(yaml('stateTimeThresholds:', '  "not_ready:aux-7": { warning: 300, critical: 600 }', '  acw: { warning: 120, critical: 300 }'))).toBe('');
  });

  it('alert rules on ratio metrics (config file and PUT /thresholds), schedules included', () => {
    const text = yaml('alerts:', '  rules:', '    - {id: sl, metric: serviceLevel, comparator: lt, warning: 80, critical: 70, clear: 82}');
    const message = errorOf(text);
    expect(message).toMatch(/alerts\.rules\.0\.warning \(line 3\): serviceLevel is a ratio between 0 and 1 \(80 % is 0\.8\), not 80/);
    expect(message).toMatch(/alerts\.rules\.0\.clear \(line 3\)/);
    const put = alertRule.safeParse({ id: 'c', metric: 'csat', comparator: 'lt', warning: 0.85, schedules: [{ name: 'night', from: '22:00', to: '24:00', warning: 85 }] });
    expect(put.success).toBe(false);
    expect(put.error?.issues.map((i) => [i.path.join('.'), i.message])).toContainEqual(['schedules.0.warning', 'schedule "night": csat is a ratio between 0 and 1 (80 % is 0.8), not 85']);
    // ratios that may exceed 1 (traffic vs baseline) and counts are not bounded
    expect(alertRule.safeParse({ id: 's', metric: 'arrivalsVsBaseline', comparator: 'gt', warning: 1.3, critical: 1.6 }).success).toBe(true);
    expect(alertRule.safeParse({ id: 'w', metric: 'waiting', comparator: 'gt', warning: 10 }).success).toBe(true);
  });
});

describe('unknown keys are reported at the line of the key itself, one line each', () => {
  it('a top-level typo and a nested one', () => {
    const text = yaml(
      'centers:', //                                           1
      '  - id: default', //                                    2
      '    name: { zh: 中心, en: Center }', //                 3
      'queus:', //                                             4
      '  - { id: personal, name: { zh: 个人, en: Personal }, channel: voice }',
      'boards:', //                                            6
      '  - id: overview', //                                   7
      '    title: { zh: 总览, en: Overview }', //              8
      '    window: 30m', //                                    9
      '    rotateEvery: 30', //                                10
      '    legend: false', //                                  11
    );
    const message = errorOf(text);
    expect(message).toMatch(/^ {2}queus \(line 4\): unknown key$/m);
    expect(message).toMatch(/^ {2}boards\.0\.rotateEvery \(line 10\): unknown key$/m);
    expect(message).toMatch(/^ {2}boards\.0\.legend \(line 11\): unknown key$/m);
    expect(message).not.toMatch(/top level|line 1\)|line 7\)/);
  });

  it('in JSON too', () => {
    const message = errorOf('{\n  "retention": {\n    "lateEventHours": 24,\n    "intervalDayz": 40\n  }\n}\n');
    expect(message).toMatch(/retention\.intervalDayz \(line 4\): unknown key/);
  });
});

describe('placeholder tokens (CHANGE-ME) from the example', () => {
  const bankCenter = resolve(import.meta.dirname, '../../server/config/examples/bank-center.yaml');
  const dataDir = mkdtempSync(join(tmpdir(), 'wallboard-placeholder-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const tokens = [
    { token: 'CHANGE-ME-admin-0000000000000000', role: 'admin' as const, name: 'ops' },
    { token: 'prod-display-token-5b0e2f', role: 'display' as const, name: 'tv' },
  ];

  it('refuses a non-loopback HOST, naming the tokens but not their values', () => {
    expect(() => placeholderTokenCheck(tokens, '0.0.0.0')).toThrow(ConfigError);
    expect(() => placeholderTokenCheck(tokens, '10.1.2.3')).toThrow(/Refusing to listen on 10\.1\.2\.3 with placeholder tokens: "ops" \(admin\) still contain CHANGE-ME/);
    expect(() => placeholderTokenCheck([{ ...tokens[0]!, token: 'my-change-me-token-123' }], '0.0.0.0')).toThrow(/CHANGE-ME/);
  });

  it('warns on loopback, and says nothing about real tokens', () => {
    expect(placeholderTokenCheck(tokens, '127.0.0.1')).toMatch(/"ops" \(admin\) still contain CHANGE-ME/);
    expect(placeholderTokenCheck(tokens, 'localhost')).toBeDefined();
    expect(placeholderTokenCheck([tokens[1]!], '0.0.0.0')).toBeUndefined();
  });

  it('HOST=0.0.0.0 CONFIG=bank-center.yaml does not start', async () => {
    const outcome = await startServer({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PORT: '0', DATA_DIR: dataDir, HOST: '0.0.0.0', CONFIG: bankCenter, INGEST_TOKENS: undefined, REDIS_URL: undefined, REDIS_SENTINELS: undefined }).then(
      async (server) => {
        await server.stop();
        return 'started, listening on 0.0.0.0';
      },
      (e: unknown) => e,
    );
    expect(outcome).toBeInstanceOf(ConfigError);
    expect((outcome as Error).message).toMatch(/Refusing to listen on 0\.0\.0\.0 with placeholder tokens: .*"运营管理员" \(admin\)/);
  });
});
