import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../server/config/load.ts';

// README "Configuration reference": "validated at start. Errors name the key and the
// line … so a typo never silently turns a setting off". These alert settings are accepted and
// then silently do nothing (or something else) at run time.

const policy = (channel: string) => `
  escalation:
    policies:
      - id: default
        levels:
          - name: {zh: 班组长, en: Team lead}
            channels: [${channel}]
`;

describe('alerts config: broken settings are refused at start, naming the key', () => {
  it('an email channel without alerts.smtp is refused at start, naming alerts.smtp', () => {
    const text = `
alerts:
  channels:
    - {id: mail, type: email, to: [duty@bank.example]}
${policy('mail')}`;
    expect(() => parseConfigText(text, 'cfg.yaml')).toThrow(/smtp/);
  });

  it('two channels with the same id are refused (the second one would never be used)', () => {
    const text = `
alerts:
  channels:
    - {id: ops, type: wecom, url: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=a"}
    - {id: ops, type: webhook, url: "https://ops.example/hook"}
${policy('ops')}`;
    expect(() => parseConfigText(text, 'cfg.yaml')).toThrow(/alerts\.channels/);
  });

  it('a config rule naming an unknown escalation policy is refused (PUT /thresholds refuses it)', () => {
    const text = `
alerts:
  rules:
    - {id: wait, metric: waiting, comparator: gt, warning: 5, policy: vip}
`;
    expect(() => parseConfigText(text, 'cfg.yaml')).toThrow(/alerts\.rules\.0\.policy/);
  });

  it('a config rule with a misspelt metric is refused (PUT /thresholds refuses it)', () => {
    const text = `
alerts:
  rules:
    - {id: wait, metric: waitng, comparator: gt, warning: 5}
`;
    expect(() => parseConfigText(text, 'cfg.yaml')).toThrow(/alerts\.rules\.0\.metric/);
  });

  it('config rules with duplicate ids are refused (PUT /thresholds refuses them)', () => {
    const text = `
alerts:
  rules:
    - {id: wait, metric: waiting, comparator: gt, warning: 5}
    - {id: wait, metric: waiting, comparator: gt, warning: 9}
`;
    expect(() => parseConfigText(text, 'cfg.yaml')).toThrow(/alerts\.rules/);
  });

  it('a rule on a team and a queue is refused unless it lists agents (notReadySec): the engine keeps no team×queue figures', () => {
    const text = (metric: string) => `
alerts:
  rules:
    - {id: r, metric: ${metric}, scope: {queue: cards, team: card-1}, comparator: gt, warning: 0.9}
`;
    for (const metric of ['occupancy', 'serviceLevel', 'waitingPerAvailableAgent']) {
      expect(() => parseConfigText(text(metric), 'cfg.yaml')).toThrow(/alerts\.rules\.0\.scope\.team.*team cannot be combined with queue\/channel\/group/);
    }
    // the team's agents who serve the queue: a list, so the intersection
    expect(() => parseConfigText(text('notReadySec'), 'cfg.yaml')).not.toThrow();
    // the team alone: its agent figures center-wide
    expect(() => parseConfigText(text('occupancy').replace('queue: cards, ', ''), 'cfg.yaml')).not.toThrow();
  });

  it('a robot URL that is not http(s) is refused at start', () => {
    const text = `
alerts:
  channels:
    - {id: ops, type: webhook, url: "file:///etc/passwd"}
${policy('ops')}`;
    expect(() => parseConfigText(text, 'cfg.yaml')).toThrow(/alerts\.channels\.0\.url/);
  });
});
