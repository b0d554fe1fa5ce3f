import { describe, expect, it } from 'vitest';
import { effectiveTimeZone, parseReplayArgs, UsageError } from '../../server/replay/options.ts';

const base = ['--format', 'anonymous-bank', '--file', 'x.tsv'];

describe('replay CLI arguments', () => {
  it('applies defaults', () => {
    const o = parseReplayArgs(base, {});
    expect(o).toMatchObject({ format: 'anonymous-bank', file: 'x.tsv', speed: 'max', batch: 1000, url: 'http://127.0.0.1:3000', dryRun: false, agents: false });
    expect(o.token).toBeUndefined();
    expect(effectiveTimeZone(o)).toBe('Asia/Jerusalem');
    expect(effectiveTimeZone({ format: 'ndjson', timezone: undefined })).toBe('Asia/Shanghai');
    expect(effectiveTimeZone({ format: 'anonymous-bank', timezone: 'UTC' })).toBe('UTC');
  });

  it('parses every option and takes the token from WALLBOARD_TOKEN', () => {
    const o = parseReplayArgs(
      [...base, '--from', '1999-01-19', '--to', '1999-01-20', '--shift-to', '2026-11-22', '--timezone', 'Asia/Shanghai', '--center', 'bank-1', '--speed', '30', '--url', 'https://wb.example:8443', '--batch', '250', '--dry-run', '--agents'],
      { WALLBOARD_TOKEN: 'tok-from-env-0123456789' },
    );
    expect(o).toMatchObject({ from: '1999-01-19', to: '1999-01-20', shiftTo: '2026-11-22', timezone: 'Asia/Shanghai', center: 'bank-1', speed: 30, batch: 250, dryRun: true, agents: true, token: 'tok-from-env-0123456789' });
  });

  it('explains every bad argument with its flag', () => {
    const bad = [
      ['--format', 'csv', '--file', 'x'],
      [...base, '--from', '2026-02-30'],
      [...base, '--shift-to', 'tomorrow'],
      [...base, '--timezone', 'Mars/Olympus'],
      [...base, '--speed', '0'],
      [...base, '--speed', 'fast'],
      [...base, '--batch', '5001'],
      [...base, '--batch', '2.5'],
      [...base, '--url', 'ftp://x'],
      [...base, '--center', 'a{b}'],
      [...base, '--from', '1999-01-20', '--to', '1999-01-19'],
    ];
    const messages = bad.map((argv) => {
      try {
        parseReplayArgs(argv, {});
        return 'accepted';
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        return (err as Error).message.split('\n')[1];
      }
    });
    expect(messages).toEqual([
      '  --format: expected one of anonymous-bank, asterisk-queue-log, ndjson',
      '  --from: expected a calendar date YYYY-MM-DD',
      '  --shift-to: expected a calendar date YYYY-MM-DD',
      '  --timezone: unknown IANA time zone (e.g. Asia/Shanghai)',
      '  --speed: expected "max" or a positive number',
      '  --speed: expected "max" or a positive number',
      '  --batch: the API takes at most 5000 events per request',
      '  --batch: expected a whole number',
      '  --url: expected an http(s) URL like http://127.0.0.1:3000',
      '  --center: letters, digits, "_", "." and "-" only',
      '  --from: --from must not be after --to',
    ]);
  });

  it('requires --format and --file and refuses unknown flags', () => {
    expect(() => parseReplayArgs([], {})).toThrow(/--format: .*\n {2}--file: required/);
    expect(() => parseReplayArgs([...base, '--sped', '2'], {})).toThrow(/Unknown option '--sped'/);
  });
});
